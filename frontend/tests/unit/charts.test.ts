import { describe, expect, it } from "vitest";
import {
  addDays,
  calendar,
  type Day,
  levelAt,
  levelHeight,
  retention,
  wordsKept,
} from "../../src/lib/charts";

const day = (date: string, changes: Partial<Day> = {}): Day => ({
  day: date,
  turns: 0,
  minutes: 0,
  goals_met: 0,
  scenes_finished: 0,
  words_saved: 0,
  reviews: 0,
  remembered: 0,
  reviewed_in_conversation: 0,
  mistakes: 0,
  mistake_kinds: [],
  goal_met: false,
  estimate: null,
  ...changes,
});

describe("the study calendar", () => {
  it("ends with the week of today, Monday first, and shades what was done", () => {
    // 2027-03-17 is a Wednesday.
    const weeks = calendar(
      [
        day("2027-03-15", { turns: 3, minutes: 2 }),
        day("2027-03-16", { turns: 20, minutes: 12, goal_met: true }),
        day("2027-03-01", { reviews: 5, remembered: 4 }),
      ],
      "2027-03-17",
    );
    expect(weeks).toHaveLength(12);
    const last = weeks[11];
    expect(last.map((cell) => cell.day)).toEqual([
      "2027-03-15",
      "2027-03-16",
      "2027-03-17",
      "2027-03-18",
      "2027-03-19",
      "2027-03-20",
      "2027-03-21",
    ]);
    expect(last.map((cell) => cell.shade)).toEqual([1, 4, 0, 0, 0, 0, 0]);
    expect(last.map((cell) => cell.future)).toEqual([false, false, false, true, true, true, true]);
    expect(weeks[9][0]).toMatchObject({ day: "2027-03-01", shade: 1 });
    expect(weeks[0][0].day).toBe("2026-12-28");
  });

  it("counts days across a month's and a year's end", () => {
    expect(addDays("2026-12-31", 1)).toBe("2027-01-01");
    expect(addDays("2028-03-01", -1)).toBe("2028-02-29");
  });
});

describe("the words and reviews", () => {
  it("keeps a running total that ends at the words kept now", () => {
    const days = [
      day("2027-03-01", { words_saved: 3 }),
      day("2027-03-02", { words_saved: -1 }),
      day("2027-03-04", { words_saved: 2 }),
    ];
    expect(wordsKept(days, 10)).toEqual([9, 8, 10]);
  });

  it("gives the share remembered, and nothing for a day without reviews", () => {
    expect(retention(day("2027-03-01", { reviews: 3, remembered: 2 }))).toBe(67);
    expect(retention(day("2027-03-01"))).toBeNull();
  });

  it("puts the levels on a scale and back", () => {
    expect(levelHeight("A1")).toBe(1);
    expect(levelHeight("C2")).toBe(6);
    expect(levelHeight(null)).toBeNull();
    expect(levelAt(3)).toBe("B1");
  });
});
