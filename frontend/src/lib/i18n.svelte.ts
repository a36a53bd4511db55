// The interface in Korean, English and Japanese: chosen from the browser (or the learner's own
// language at sign-up), switchable, remembered. The texts are one JSON catalogue per language
// (src/i18n/); a text that depends on a number has a key per plural category of the language
// (`_one`, `_other`, as `Intl.PluralRules` names them), and every catalogue has every key
// (tests/unit/i18n.test.ts).

import en from "../i18n/en.json";
import ja from "../i18n/ja.json";
import ko from "../i18n/ko.json";

/** A text of the interface: a key of the English catalogue, which has every text. */
export type Key = keyof typeof en;
/** A text chosen by a number: the base of `${base}_one` / `${base}_other`. */
type BaseOf<K> = K extends `${infer Base}_one` ? Base : never;
export type CountedKey = BaseOf<Key>;

const dictionaries: Record<"en" | "ko" | "ja", Partial<Record<Key, string>>> = { en, ko, ja };
export type UiLanguage = keyof typeof dictionaries;
const STORAGE_KEY = "rolechat.ui";

export const UI_LANGUAGES = ["ko", "en", "ja"] as const satisfies readonly UiLanguage[];

function isUiLanguage(code: string | null): code is UiLanguage {
  return UI_LANGUAGES.includes(code as UiLanguage);
}

export function detectLanguage(stored: string | null, browser: readonly string[]): UiLanguage {
  if (isUiLanguage(stored)) return stored;
  // The first of the browser's languages that the interface speaks.
  for (const tag of browser) {
    const code = tag.toLowerCase().slice(0, 2);
    if (isUiLanguage(code)) return code;
  }
  return "en";
}

/** Whether this browser's visitor chose an interface language here already. */
export function languageChosen(): boolean {
  return typeof localStorage !== "undefined" && isUiLanguage(localStorage.getItem(STORAGE_KEY));
}

export const i18n = $state({
  language: detectLanguage(
    typeof localStorage === "undefined" ? null : localStorage.getItem(STORAGE_KEY),
    typeof navigator === "undefined" ? [] : navigator.languages,
  ),
});

export function setLanguage(language: UiLanguage) {
  i18n.language = language;
  localStorage.setItem(STORAGE_KEY, language);
  document.documentElement.lang = language;
}

/** Whether the interface has a text called `key` (for keys made from an error code, say). */
export function hasKey(key: string): key is Key {
  return Object.hasOwn(en, key);
}

/** The text of `key` in the current language, with `{name}` placeholders filled in. */
export function t(key: Key, params: Record<string, string | number> = {}): string {
  const text = dictionaries[i18n.language][key] ?? en[key];
  return text.replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? `{${name}}`));
}

/** The text of `base` for `count` in the current language's plural category (`{count}` filled
 * in): "1 message", "2 messages"; Korean and Japanese have one form. */
export function tn(base: CountedKey, count: number, params: Record<string, string | number> = {}): string {
  const category = new Intl.PluralRules(i18n.language).select(count);
  const exact = `${base}_${category}`;
  const key = (
    hasKey(exact) && dictionaries[i18n.language][exact] !== undefined ? exact : `${base}_other`
  ) as Key;
  return t(key, { count, ...params });
}

export function formatTime(iso: string): string {
  return new Intl.DateTimeFormat(i18n.language, { dateStyle: "medium", timeStyle: "short" }).format(
    new Date(iso),
  );
}
