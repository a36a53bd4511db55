// The conversation language and level a learner last chose, offered first next time; before
// any choice on this browser, what they said at onboarding.

import { session } from "./session.svelte";
import {
  type DailyGoal,
  LANGUAGES,
  type Language,
  LEVELS,
  type Level,
  type ProfileChanges,
  type Reason,
  type User,
} from "./types";

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

/** What onboarding asks, and the account's "Your study" changes. */
export interface StudyAnswers {
  language: Language;
  level: Level;
  reason: Reason | null;
  goal: DailyGoal;
  timeZone: string;
}

/** The answers to start from: the learner's own, else this browser's last room setup, a
 * ten-minute goal, and this browser's time zone (a profile says UTC until one is chosen). */
export function studyAnswers(user: User | null): StudyAnswers {
  const last = lastSetup();
  return {
    language: user?.study?.language ?? last.language,
    level: user?.study?.level ?? last.level,
    reason: (user?.study?.reason as Reason | null | undefined) ?? null,
    goal: user?.daily_goal ?? { unit: "minutes", amount: 10 },
    timeZone:
      user?.time_zone && user.time_zone !== "UTC"
        ? user.time_zone
        : Intl.DateTimeFormat().resolvedOptions().timeZone,
  };
}

/** The answers as `PATCH /me` takes them. */
export function studyChanges(answers: StudyAnswers): ProfileChanges {
  const { language, level, reason, goal, timeZone } = answers;
  return { study: { language, level, reason }, daily_goal: goal, time_zone: timeZone };
}
