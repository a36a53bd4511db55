"""The eval's metrics on recorded answers: lines a real tutor wrote, and verdicts it gave."""

import pytest

from rolechat_eval import metrics
from rolechat_eval.run import measure

OPENER_JA = "いらっしゃいませ！こんにちは。ご注文はお決まりですか？"
REPLY_EN_A1 = "Hi! Hot or iced?"
REPLY_EN_C2 = ("Ah, the eternal dilemma. Our single-origin Ethiopian is rather floral this week, "
               "whereas the house blend is altogether more forgiving. Which way are you leaning?")


def test_sentences_and_questions_in_any_script():
    assert metrics.sentences(REPLY_EN_A1) == 2
    assert metrics.sentences(OPENER_JA) == 3
    assert metrics.sentences("¡Hola! ¿Qué desea tomar?") == 2
    assert metrics.sentences("") == 0
    assert metrics.questions(REPLY_EN_C2) == 1
    assert metrics.questions(OPENER_JA) == 1


def test_length_is_words_or_characters():
    assert metrics.length("I would like a medium latte, please.", "en-US") == 7
    # Letters only: the punctuation of a Japanese line is not counted.
    assert metrics.length("はい。", "ja-JP") == 2
    assert metrics.length("今日很冷啊。", "zh-CN") == 5
    # Korean in eojeol.
    assert metrics.length("카페라테 중간 사이즈로 주세요.", "ko-KR") == 4


def test_rare_words_weigh_more_at_lower_levels():
    plain = metrics.above_level_share("Hi! Do you want a big or a small coffee?", "en-US", "A1")
    # Words of the scene count too: "iced" is rarer than an A1 learner's vocabulary.
    assert metrics.above_level_share(REPLY_EN_A1, "en-US", "A1") == 0.25
    rich_at_a1 = metrics.above_level_share(REPLY_EN_C2, "en-US", "A1")
    rich_at_c2 = metrics.above_level_share(REPLY_EN_C2, "en-US", "C2")
    assert plain < 0.2
    assert rich_at_a1 > 0.2
    assert rich_at_c2 < rich_at_a1
    assert metrics.above_level_share("お会計は全部で六百五十円になります。", "ja-JP", "A1") > 0


@pytest.mark.parametrize("line,language", [
    ("Would you like it hot or iced?", "en-US"),
    ("¿Lo quiere caliente o con hielo?", "es-ES"),
    ("Vous le voulez chaud ou glacé ?", "fr-FR"),
    ("Möchten Sie ihn heiß oder mit Eis?", "de-DE"),
    (OPENER_JA, "ja-JP"),
    ("어서 오세요! 주문하시겠어요?", "ko-KR"),
    ("欢迎光临！您要喝点什么？", "zh-CN"),
])
def test_the_language_of_a_line_is_recognised(line, language):
    assert metrics.guess_language(line) == language
    assert not metrics.in_wrong_language(line, language)


def test_a_reply_in_the_wrong_language_is_caught():
    assert metrics.in_wrong_language("어서 오세요!", "ja-JP")
    assert metrics.in_wrong_language("Welcome! What can I get you?", "fr-FR")
    assert metrics.in_wrong_language("ご注文は？", "zh-CN")


def test_drift_and_goal_accuracy():
    assert metrics.drift([10, 10, 30, 30]) == 20
    assert metrics.drift([5]) is None
    expected = [[], [], ["g1"], ["g1", "g2"]]
    assert metrics.goal_accuracy(expected, expected) == 1
    # A trap taken (g1 marked after a bare "yes"): one verdict of eight wrong.
    judged = [[], ["g1"], ["g1"], ["g1", "g2"]]
    assert metrics.goal_accuracy(judged, expected) == 7 / 8


def test_a_recorded_conversation_is_measured():
    talk = {
        "tutor": [OPENER_JA, "はい、かしこまりました。サイズはどうなさいますか？"],
        "feedback": [True, False, True],
        "goals": [[], ["g1"], ["g1"]],
        "failures": 0,
        "report_ok": True,
    }
    row = measure("ja-JP", "A2", talk, [True, False, True, True], 3)
    assert row["tutor_turns"] == 2
    assert row["length_unit"] == "characters"
    assert row["over_correction"] == pytest.approx(1 / 3)
    assert row["error_detection"] == 0.75
    assert row["trap_taken"] is True
    assert row["wrong_language_share"] == 0
    assert row["report_follows_schema"] is True
