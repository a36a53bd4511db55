// Reading aids for beginners in Japanese, Chinese and Korean, computed in the browser with real
// analysers, never asked of the model: furigana over kanji (kuromoji's morphological analysis with
// the IPADIC dictionary, so a word's reading follows its context: 今日 きょう, 銀行 ぎんこう),
// pinyin with tone marks over hanzi (pinyin-pro, which reads polyphones by their words: 银行
// yínháng, 行走 xíngzǒu), and the Revised Romanization over each Korean word (es-hangul, with the
// sound changes the rules write: 같이 gachi, 신라 silla). Each library is loaded on first use.

import type { IpadicFeatures, Tokenizer } from "@sglkc/kuromoji";

/** A piece of a line, with its reading where it has one. */
export interface Segment {
  text: string;
  reading?: string;
}

/** The conversation languages that have reading aids. */
export type AidedLanguage = "ja-JP" | "zh-CN" | "ko-KR";
export function hasReadingAids(language: string): language is AidedLanguage {
  return language === "ja-JP" || language === "zh-CN" || language === "ko-KR";
}

/** On by default for beginners (A1, A2), who cannot yet read the script unaided. */
export function aidsByDefault(language: string, level: string): boolean {
  return hasReadingAids(language) && (level === "A1" || level === "A2");
}

export async function annotate(language: string, text: string): Promise<Segment[]> {
  if (language === "ja-JP") return furigana(text, await japanese());
  if (language === "zh-CN") return pinyinOf(text);
  if (language === "ko-KR") return romanized(text);
  return [{ text }];
}

// Where the dictionary is served from: the site copies it to /dict/ (vite.config.ts); tests
// point this at the package's own folder.
let dictionaryPath = "/dict/";
export function setDictionaryPath(path: string) {
  dictionaryPath = path;
}

let tokenizer: Promise<Tokenizer<IpadicFeatures>> | null = null;

function japanese(): Promise<Tokenizer<IpadicFeatures>> {
  tokenizer ??= import("@sglkc/kuromoji").then(
    (module) =>
      new Promise((resolve, reject) => {
        // A CommonJS module: its exports are the default export once bundled.
        const kuromoji = ((module as unknown as { default?: typeof module }).default ??
          module) as typeof module;
        kuromoji.builder({ dicPath: dictionaryPath }).build((error, built) => {
          if (error) {
            tokenizer = null;
            reject(error);
          } else resolve(built);
        });
      }),
  );
  return tokenizer;
}

const KANJI = /[\u3400-\u9fff\uf900-\ufaff々〆]/;

/** Katakana to hiragana (the readings are given in katakana). */
export function hiragana(text: string): string {
  return text.replace(/[\u30a1-\u30f6]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0x60));
}

// Words IPADIC reads, or splits, in a way a learner's textbook does not (it reads 日本 にっぽん
// and 一人 as 一 いち + 人 にん).
// IPADIC also keeps the old spelling づ in 預ける (modern あずける).
const PREFERRED: Record<string, string> = {
  日本: "にほん",
  一人: "ひとり",
  二人: "ふたり",
  預け: "あずけ",
  預かり: "あずかり",
  預かっ: "あずかっ",
  預かる: "あずかる",
};

/** The analyser's tokens, with a pair it splits joined where the pair is a word of its own. */
function words(analyser: Tokenizer<IpadicFeatures>, text: string): { surface: string; reading?: string }[] {
  const tokens = analyser.tokenize(text);
  const joined: { surface: string; reading?: string }[] = [];
  for (let index = 0; index < tokens.length; index++) {
    const pair = tokens[index].surface_form + (tokens[index + 1]?.surface_form ?? "");
    if (index + 1 < tokens.length && PREFERRED[pair]) {
      joined.push({ surface: pair, reading: PREFERRED[pair] });
      index++;
    } else {
      const surface = tokens[index].surface_form;
      const reading = PREFERRED[surface] ?? tokens[index].reading;
      joined.push({ surface, reading: reading ? hiragana(reading) : undefined });
    }
  }
  return joined;
}

function furigana(text: string, analyser: Tokenizer<IpadicFeatures>): Segment[] {
  const segments: Segment[] = [];
  for (const { surface, reading } of words(analyser, text)) {
    if (!reading || !KANJI.test(surface)) {
      segments.push({ text: surface });
      continue;
    }
    segments.push(...okurigana(surface, reading));
  }
  return merge(segments);
}

/** A word's reading over its kanji only: its kana are written plainly, the reading aligned to
 * them (行き いき: 行 い + き; 召し上がり めしあがり: 召 め + し + 上 あ + がり). A word whose
 * kana cannot be aligned has its whole reading over it. */
export function okurigana(surface: string, reading: string): Segment[] {
  const runs = surface.match(/[\u3400-\u9fff\uf900-\ufaff々〆]+|[^\u3400-\u9fff\uf900-\ufaff々〆]+/g) ?? [];
  const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const pattern = new RegExp(
    `^${runs.map((run) => (KANJI.test(run) ? "(.+?)" : literal(hiragana(run)))).join("")}$`,
  );
  const found = pattern.exec(reading);
  if (!found) return [{ text: surface, reading }];
  let group = 1;
  return runs.map((run) => (KANJI.test(run) ? { text: run, reading: found[group++] } : { text: run }));
}

/** Neighbouring plain pieces as one. */
function merge(segments: Segment[]): Segment[] {
  const merged: Segment[] = [];
  for (const segment of segments) {
    const last = merged.at(-1);
    if (last && !last.reading && !segment.reading) last.text += segment.text;
    else merged.push({ ...segment });
  }
  return merged;
}

async function pinyinOf(text: string): Promise<Segment[]> {
  const { pinyin } = await import("pinyin-pro");
  // Read as a whole, so a polyphone takes its word's reading; one item a character.
  const read = pinyin(text, { type: "all", toneType: "symbol" });
  return merge(
    read.map((item) =>
      item.isZh && item.pinyin ? { text: item.origin, reading: item.pinyin } : { text: item.origin },
    ),
  );
}

const HANGUL = /[\uac00-\ud7a3]/;

async function romanized(text: string): Promise<Segment[]> {
  const { romanize } = await import("es-hangul");
  // Each word with its romanization; the spaces and punctuation between words as they are.
  return merge(
    text
      .split(/([\uac00-\ud7a3]+)/)
      .filter((piece) => piece.length > 0)
      .map((piece) =>
        HANGUL.test(piece) ? { text: piece, reading: untensed(piece, romanize(piece)) } : { text: piece },
      ),
  );
}

/** The Revised Romanization does not write tensing (된소리되기는 표기에 반영하지 않는다), but the
 * library writes the ㅅ of a final ㄳ or ㅄ carried onto a following vowel as "ss" (없어요
 * eopsseoyo, 값이 gapssi): written "s", as the rules do (eopseoyo, gapsi). */
export function untensed(word: string, romanized: string): string {
  const syllables = [...word].map((c) => c.charCodeAt(0) - 0xac00);
  const carried = syllables.some(
    (code, index) =>
      (code % 28 === 3 || code % 28 === 18) &&
      index + 1 < syllables.length &&
      Math.floor(syllables[index + 1] / 588) === 11,
  );
  return carried ? romanized.replace(/([kp])ss/g, "$1s") : romanized;
}
