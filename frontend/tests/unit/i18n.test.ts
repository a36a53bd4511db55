import { describe, expect, it } from "vitest";
import en from "../../src/i18n/en.json";
import ja from "../../src/i18n/ja.json";
import ko from "../../src/i18n/ko.json";

const catalogues: Record<string, Record<string, string>> = { en, ko, ja };
const PLURAL = /_(zero|one|two|few|many|other)$/;
/** The bases of the texts chosen by a number: those with a `_one` form in English. */
const counted = new Set(
  Object.keys(en)
    .filter((key) => key.endsWith("_one"))
    .map((key) => key.replace(PLURAL, "")),
);

function placeholders(text: string): string[] {
  return [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();
}

describe("the interface texts", () => {
  for (const [language, texts] of Object.entries(catalogues)) {
    it(`has every text in ${language}, with the same placeholders`, () => {
      const rules = new Intl.PluralRules(language).resolvedOptions().pluralCategories;
      const expected = new Set<string>();
      for (const key of Object.keys(en)) {
        const base = key.replace(PLURAL, "");
        if (counted.has(base)) for (const category of rules) expected.add(`${base}_${category}`);
        else expected.add(key);
      }
      expect(Object.keys(texts).sort()).toEqual([...expected].sort());
      for (const [key, text] of Object.entries(texts)) {
        expect(text.trim(), `${language}.${key}`).not.toBe("");
        const base = key.replace(PLURAL, "");
        const english = counted.has(base)
          ? en[`${base}_other` as keyof typeof en]
          : en[key as keyof typeof en];
        // A plural's one form may say "1" in words ("Delete this room?"), so it may drop {count}.
        const mine = placeholders(text).filter((name) => !(counted.has(base) && name === "count"));
        const theirs = placeholders(english).filter((name) => !(counted.has(base) && name === "count"));
        expect(mine, `${language}.${key}`).toEqual(theirs);
      }
    });
  }

  it("knows which texts are counted", () => {
    expect([...counted].sort()).toEqual(["confirm_delete_many_title", "messages_count", "scenarios_goals"]);
  });
});
