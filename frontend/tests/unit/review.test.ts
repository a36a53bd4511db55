import { describe, expect, it } from "vitest";
import { answers, cloze, nextQueue, summarise } from "../../src/lib/review";
import type { VocabularyItem } from "../../src/lib/types";

const NOW = Date.parse("2027-03-15T10:00:00Z");
const item = (id: string, changes: Partial<VocabularyItem> = {}) =>
  ({
    id,
    text: "latte",
    language: "en-US",
    meaning: "a milky coffee",
    due_at: "2027-03-15T09:00:00Z",
    ...changes,
  }) as VocabularyItem;

describe("a review session", () => {
  it("brings an 'again' card back at the end, even when the schedule says minutes from now", () => {
    const queue = [item("a"), item("b")];
    const later = item("a", { due_at: "2027-03-15T10:10:00Z" });
    expect(nextQueue(queue, later, "again", NOW).map((card) => card.id)).toEqual(["b", "a"]);
    expect(
      nextQueue(queue, item("a", { due_at: "2027-03-18T10:00:00Z" }), "good", NOW).map((card) => card.id),
    ).toEqual(["b"]);
    // The last card, forgotten, is shown once more rather than the session ending.
    expect(nextQueue([item("a")], later, "again", NOW).map((card) => card.id)).toEqual(["a"]);
  });

  it("blanks the word in its example, or keeps the card a recognition card", () => {
    expect(cloze(item("a", { example: "A Latte, please." }))).toEqual({ before: "A ", after: ", please." });
    expect(cloze(item("a", { example: "Two lattes!" }))).toEqual({ before: "Two ", after: "s!" });
    expect(cloze(item("a", { example: "A coffee, please." }))).toBeNull();
    expect(cloze(item("a", { example: undefined }))).toBeNull();
  });

  it("takes a typed answer whatever its case, spaces and final stop", () => {
    expect(answers("  Latte. ", item("a"))).toBe(true);
    expect(answers("late", item("a"))).toBe(false);
    expect(answers("", item("a"))).toBe(false);
    expect(answers("ありがとう", item("a", { text: "ありがとう" }))).toBe(true);
  });

  it("sums up the cards, not the ratings, and the earliest next review", () => {
    const summary = summarise([
      { id: "a", rating: "again", due_at: "2027-03-15T10:10:00Z" },
      { id: "b", rating: "good", due_at: "2027-03-18T10:00:00Z" },
      { id: "a", rating: "good", due_at: "2027-03-16T10:00:00Z" },
      { id: "c", rating: "easy", due_at: "2027-03-25T10:00:00Z" },
    ]);
    expect(summary).toEqual({ reviewed: 3, remembered: 2, forgotten: 1, nextDue: "2027-03-16T10:00:00Z" });
  });
});
