// A review session's rules, apart from the page so they are tested alone.

import type { Rating, VocabularyItem } from "./types";

/** The queue after a card is rated: "again" brings it back at the end of this session (as
 * learning steps do), as does any card the schedule makes due again before `now`. */
export function nextQueue(queue: VocabularyItem[], updated: VocabularyItem, rating: Rating, now: number) {
  const rest = queue.slice(1);
  const comesBack = rating === "again" || Date.parse(updated.due_at) <= now;
  return comesBack ? [...rest, updated] : rest;
}

/** A fill-the-gap line: the example with the word blanked, or null when the example does not
 * hold the word as written (a conjugated form, say), which then stays a recognition card. */
export function cloze(item: VocabularyItem): { before: string; after: string } | null {
  const example = item.example?.trim();
  if (!example) return null;
  const at = example.toLocaleLowerCase().indexOf(item.text.toLocaleLowerCase());
  if (at < 0) return null;
  return { before: example.slice(0, at), after: example.slice(at + item.text.length) };
}

/** Whether a typed answer is the word: case, surrounding spaces and final punctuation aside. */
export function answers(typed: string, item: VocabularyItem): boolean {
  const plain = (text: string) =>
    text
      .normalize("NFC")
      .trim()
      .replace(/[.!?。！？]+$/u, "")
      .replace(/\s+/g, " ")
      .toLocaleLowerCase();
  return plain(typed) !== "" && plain(typed) === plain(item.text);
}

export interface SessionSummary {
  /** The cards reviewed. */
  reviewed: number;
  /** Those remembered the first time they were shown (good or easy). */
  remembered: number;
  /** Those forgotten at least once (again). */
  forgotten: number;
  /** The earliest next review of the session's cards, as the last rating of each set it. */
  nextDue: string | null;
}

export function summarise(log: { id: string; rating: Rating; due_at: string }[]): SessionSummary {
  const first = new Map<string, Rating>();
  const last = new Map<string, string>();
  const forgotten = new Set<string>();
  for (const entry of log) {
    if (!first.has(entry.id)) first.set(entry.id, entry.rating);
    if (entry.rating === "again") forgotten.add(entry.id);
    last.set(entry.id, entry.due_at);
  }
  return {
    reviewed: first.size,
    remembered: [...first.values()].filter((rating) => rating === "good" || rating === "easy").length,
    forgotten: forgotten.size,
    nextDue: [...last.values()].sort((a, b) => Date.parse(a) - Date.parse(b))[0] ?? null,
  };
}
