// The Progress page's figures, shaped for its charts and their tables: pure, so tested alone.

import type { Progress } from "./types";
import { LEVELS } from "./types";

export type Day = Progress["days"][number];

/** A day as "YYYY-MM-DD" to the Unix seconds of its midnight in UTC (the charts' x values; the
 * day is already the learner's own, so no zone may shift it). */
export function daySeconds(day: string): number {
  const [year, month, date] = day.split("-").map(Number);
  return Date.UTC(year, month - 1, date) / 1000;
}

export function addDays(day: string, count: number): string {
  return new Date((daySeconds(day) + count * 86_400) * 1000).toISOString().slice(0, 10);
}

export interface CalendarCell {
  day: string;
  /** 0 (nothing) to 4 (the goal met or more), for the cell's shade. */
  shade: number;
  minutes: number;
  turns: number;
  future: boolean;
}

/** Twelve weeks ending with the week of `today`, Monday first: one column a week, as the study
 * calendars of code hosts draw them. */
export function calendar(days: Day[], today: string, weeks = 12): CalendarCell[][] {
  const byDay = new Map(days.map((day) => [day.day, day]));
  const weekday = (new Date(daySeconds(today) * 1000).getUTCDay() + 6) % 7; // Monday is 0
  const start = addDays(today, -weekday - (weeks - 1) * 7);
  return Array.from({ length: weeks }, (_, week) =>
    Array.from({ length: 7 }, (_, index) => {
      const day = addDays(start, week * 7 + index);
      const seen = byDay.get(day);
      const minutes = seen?.minutes ?? 0;
      const turns = seen?.turns ?? 0;
      const studied = seen !== undefined && (turns > 0 || seen.reviews > 0);
      const shade = !studied ? 0 : seen.goal_met ? 4 : minutes >= 10 ? 3 : minutes >= 3 ? 2 : 1;
      return { day, shade, minutes, turns, future: day > today };
    }),
  );
}

/** The share of reviews remembered (good or easy) on a day, in percent; null without reviews. */
export function retention(day: Day): number | null {
  return day.reviews > 0 ? Math.round((100 * day.remembered) / day.reviews) : null;
}

/** Words kept so far, day by day: the running total of each day's words (less those deleted),
 * ending at `total`, the count kept now. */
export function wordsKept(days: Day[], total: number): number[] {
  const inWindow = days.reduce((sum, day) => sum + day.words_saved, 0);
  let running = total - inWindow;
  return days.map((day) => {
    running += day.words_saved;
    return Math.max(0, running);
  });
}

/** The kinds of mistake worth a line each (the most frequent, at most `limit`), with each day's
 * count of that kind. */
export function mistakeLines(progress: Progress, limit = 4) {
  return progress.mistakes.slice(0, limit).map(({ category }) => ({
    category,
    counts: progress.days.map(
      (day) => day.mistake_kinds.find((kind) => kind.category === category)?.count ?? 0,
    ),
  }));
}

/** A CEFR level as a height on the chart (A1 = 1 … C2 = 6), and back. */
export const levelHeight = (level: string | null): number | null =>
  level === null ? null : LEVELS.indexOf(level as (typeof LEVELS)[number]) + 1 || null;
export const levelAt = (height: number): string => LEVELS[Math.round(height) - 1] ?? "";
