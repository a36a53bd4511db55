"""What can be measured of a tutor's lines and judgements, as pure functions of recorded answers.

Word frequencies come from wordfreq (code Apache-2.0; its data CC BY-SA 4.0, from Exquisite
Corpus: Wikipedia, subtitles, news, books, web text), in Zipf units: 6 is a word like "the",
3 a word seen about once in a million words.
"""

import re
import unicodedata

from wordfreq import tokenize, zipf_frequency

# wordfreq's code for each conversation language.
WORDFREQ = {"en-US": "en", "es-ES": "es", "fr-FR": "fr", "de-DE": "de",
            "ja-JP": "ja", "ko-KR": "ko", "zh-CN": "zh"}
LATIN = ("en-US", "es-ES", "fr-FR", "de-DE")
# Languages whose length is counted in characters (no spaces between words).
BY_CHARACTER = ("ja-JP", "zh-CN")

# The rarest word a learner at each level can be expected to know, in Zipf units: an
# approximation of the vocabulary sizes the CEFR literature gives per level (about 500 to 1,000
# word families at A1, 2,000 at A2, 3,000 at B1, 5,000 at B2, 8,000 at C1), read as frequency
# ranks. C2 has no ceiling: its share counts words rarer than Zipf 3, for comparison only.
LEVEL_FLOOR = {"A1": 5.0, "A2": 4.5, "B1": 4.2, "B2": 3.8, "C1": 3.4, "C2": 3.0}

_SENTENCE_END = re.compile(r"[.!?。！？…]+[\"'」』)]*")


def sentences(text):
    """How many sentences a line has: runs of text ended by . ! ? 。 ！ ？ or the line's end."""
    parts = [part for part in _SENTENCE_END.split(text) if part.strip(" \n\t\"'「」")]
    return len(parts)


def questions(text):
    """How many questions a line asks (question marks, full or half width)."""
    return text.count("?") + text.count("？")


def _is_word_character(character):
    return unicodedata.category(character)[0] in "LN"


def length(text, language):
    """Words per line, or characters (letters and digits) for Japanese and Chinese."""
    if language in BY_CHARACTER:
        return sum(1 for character in text if _is_word_character(character))
    if language == "ko-KR":
        # Korean is counted in eojeol, the space-separated units Korean readers count as words.
        return len([word for word in text.split() if any(map(_is_word_character, word))])
    return len(words(text, language))


def words(text, language):
    """The words of a line, as wordfreq tokenizes that language."""
    return [word for word in tokenize(text, WORDFREQ[language]) if any(map(_is_word_character, word))
            and not word.isdigit()]


def above_level_share(text, language, level):
    """The share of a line's words rarer than what a learner at `level` can be expected to know."""
    found = words(text, language)
    if not found:
        return 0.0
    floor = LEVEL_FLOOR[level]
    rare = sum(1 for word in found if zipf_frequency(word, WORDFREQ[language]) < floor)
    return rare / len(found)


def _scripts(text):
    counts = {"hangul": 0, "kana": 0, "han": 0, "latin": 0}
    for character in text:
        name = unicodedata.name(character, "")
        if name.startswith("HANGUL"):
            counts["hangul"] += 1
        elif name.startswith(("HIRAGANA", "KATAKANA")):
            counts["kana"] += 1
        elif name.startswith("CJK UNIFIED"):
            counts["han"] += 1
        elif name.startswith("LATIN") and character.isalpha():
            counts["latin"] += 1
    return counts


def guess_language(text):
    """The conversation language a line is written in, from its script, and for the Latin-script
    languages from which language's word frequencies explain its words best."""
    scripts = _scripts(text)
    letters = sum(scripts.values())
    if letters == 0:
        return None
    if scripts["hangul"] / letters > 0.5:
        return "ko-KR"
    if scripts["kana"] > 0 and (scripts["kana"] + scripts["han"]) / letters > 0.5:
        return "ja-JP"
    if scripts["han"] / letters > 0.5:
        return "zh-CN"
    if scripts["latin"] / letters <= 0.5:
        return None

    def fit(language):
        tokens = tokenize(text, WORDFREQ[language])
        return sum(zipf_frequency(token, WORDFREQ[language]) for token in tokens) / max(len(tokens), 1)

    return max(LATIN, key=fit)


def in_wrong_language(text, language):
    """Whether a tutor's line is not in the conversation's language (or script)."""
    return guess_language(text) != language


def mean(values):
    values = list(values)
    return sum(values) / len(values) if values else None


def drift(values):
    """The mean of the second half of a conversation's turns minus that of the first half: how a
    measure moves as the conversation goes on (0 is steady)."""
    values = list(values)
    if len(values) < 2:
        return None
    half = len(values) // 2
    return mean(values[half:]) - mean(values[:half])


def goal_accuracy(judged, expected):
    """The share of (turn, goal) verdicts that agree with the labels. `judged` and `expected` are
    lists, one per learner line, of the goal ids done after it."""
    agree = total = 0
    goal_ids = {goal for done in expected for goal in done} | {goal for done in judged for goal in done}
    for after_judged, after_expected in zip(judged, expected):
        for goal in goal_ids:
            total += 1
            agree += (goal in after_judged) == (goal in after_expected)
    return agree / total if total else None
