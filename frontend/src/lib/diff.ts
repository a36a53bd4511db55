// The changes between a learner's line and its correction, word by word (character by character
// for scripts written without spaces), to mark them in the corrected sentence.

export interface Piece {
  text: string;
  kind: "same" | "added" | "removed";
}

/** Words, single characters of spaceless scripts, runs of spaces, and punctuation. */
export function tokens(text: string): string[] {
  return (
    text.match(
      /\s+|[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]|[\p{L}\p{N}'’-]+|[^\s\p{L}\p{N}]/gu,
    ) ?? []
  );
}

/** The longest common subsequence of tokens, walked into pieces; neighbours of a kind merge. */
export function diffWords(before: string, after: string): Piece[] {
  const a = tokens(before);
  const b = tokens(after);
  const lengths = Array.from({ length: a.length + 1 }, () => new Uint16Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lengths[i][j] =
        a[i] === b[j] ? lengths[i + 1][j + 1] + 1 : Math.max(lengths[i + 1][j], lengths[i][j + 1]);
    }
  }
  const pieces: Piece[] = [];
  const push = (text: string, kind: Piece["kind"]) => {
    const last = pieces[pieces.length - 1];
    if (last && last.kind === kind) last.text += text;
    else pieces.push({ text, kind });
  };
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      push(a[i], "same");
      i++;
      j++;
    } else if (j < b.length && (i === a.length || lengths[i][j + 1] >= lengths[i + 1][j])) {
      push(b[j], "added");
      j++;
    } else {
      push(a[i], "removed");
      i++;
    }
  }
  return pieces;
}
