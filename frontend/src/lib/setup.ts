// The conversation language and level a learner last chose, offered first next time; before
// any choice on this browser, what they said at onboarding.

import { session } from "./session.svelte";
import { LANGUAGES, type Language, LEVELS, type Level } from "./types";

const KEY = "rolechat.lastSetup";

export function lastSetup(): { language: Language; level: Level } {
  const study = session.user?.study;
  const fallback = { language: study?.language ?? "en-US", level: study?.level ?? "A1" };
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) ?? "{}");
    return {
      language: LANGUAGES.includes(saved.language) ? saved.language : fallback.language,
      level: LEVELS.includes(saved.level) ? saved.level : fallback.level,
    };
  } catch {
    return fallback;
  }
}

export function rememberSetup(language: Language, level: Level) {
  localStorage.setItem(KEY, JSON.stringify({ language, level }));
}
