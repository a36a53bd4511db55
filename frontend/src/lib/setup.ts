// The conversation language and level a learner last chose, offered first next time.

import { LANGUAGES, type Language, LEVELS, type Level } from "./types";

const KEY = "rolechat.lastSetup";

export function lastSetup(): { language: Language; level: Level } {
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) ?? "{}");
    return {
      language: LANGUAGES.includes(saved.language) ? saved.language : "en-US",
      level: LEVELS.includes(saved.level) ? saved.level : "A1",
    };
  } catch {
    return { language: "en-US", level: "A1" };
  }
}

export function rememberSetup(language: Language, level: Level) {
  localStorage.setItem(KEY, JSON.stringify({ language, level }));
}
