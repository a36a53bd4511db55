import { describe, expect, it } from "vitest";
import { diffWords, tokens } from "../../src/lib/diff";

describe("diffWords", () => {
  it("marks the words a correction adds and removes", () => {
    expect(diffWords("I goes to school", "I go to school")).toEqual([
      { text: "I ", kind: "same" },
      { text: "go", kind: "added" },
      { text: "goes", kind: "removed" },
      { text: " to school", kind: "same" },
    ]);
    expect(diffWords("same line", "same line")).toEqual([{ text: "same line", kind: "same" }]);
  });

  it("goes character by character where a script has no spaces", () => {
    expect(tokens("切符を一枚")).toEqual(["切", "符", "を", "一", "枚"]);
    expect(diffWords("切符を一枚ください", "切符を二枚ください")).toEqual([
      { text: "切符を", kind: "same" },
      { text: "二", kind: "added" },
      { text: "一", kind: "removed" },
      { text: "枚ください", kind: "same" },
    ]);
  });

  it("keeps every character of both texts", () => {
    const before = "아메리카노 한 잔 주세요!";
    const after = "아메리카노 한 잔 주시겠어요?";
    const pieces = diffWords(before, after);
    const kept = (kind: string) =>
      pieces
        .filter((p) => p.kind !== kind)
        .map((p) => p.text)
        .join("");
    expect(kept("added")).toBe(before);
    expect(kept("removed")).toBe(after);
  });
});
