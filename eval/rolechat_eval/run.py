"""`make eval`: scripted learners talk with the tutor through the service's own API (the real
handlers, prompts, feedback, goal checks and report, against the model the stack is given), and
what can be measured of the tutor is measured, per conversation language and CEFR level.

Settings (environment): ROLECHAT_API_URL (set by scripts/with-stack.sh), EVAL_LANGUAGES and
EVAL_LEVELS (comma-separated; all by default), or EVAL_CASES (`language:level` pairs, e.g.
`en-US:A1,ja-JP:B2`), EVAL_LINES (learner lines per conversation, 10 by default), EVAL_ERRORS
(how many of the lines with a known error are checked, all four by default), EVAL_OUT (the JSON
written; target/eval/eval.json).
"""

import json
import os
import pathlib
import sys
import time
import urllib.error
import urllib.request
import uuid

from . import metrics

DATA = json.loads((pathlib.Path(__file__).parent.parent / "data" / "learners.json").read_text())
LEVELS = ["A1", "A2", "B1", "B2", "C1", "C2"]


class Api:
    def __init__(self, base):
        self.base = base.rstrip("/")
        self.token = None

    def call(self, method, path, body=None):
        request = urllib.request.Request(
            self.base + path, method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"content-type": "application/json",
                     **({"authorization": f"Bearer {self.token}"} if self.token else {})})
        try:
            with urllib.request.urlopen(request, timeout=300) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")


def conversation(api, language, level, lines):
    """One scripted conversation: what the tutor said, what was judged, what failed."""
    scene = DATA["scene"]
    status, room = api.call("POST", "/rooms", {
        "language": language, "level": level, "situation": scene["situation"],
        "my_role": scene["my_role"], "gpt_role": scene["gpt_role"], "goals": scene["goals"],
        "auto_feedback": True})
    assert status == 201, (status, room)
    messages = f"/rooms/{room['id']}/messages?ui=en"
    tutor, feedback, goals, failures = [], [], [], 0
    status, opened = api.call("POST", messages, {})
    if status == 201:
        tutor.append(opened["reply"]["content"])
    else:
        failures += 1
    for line in lines:
        status, turn = api.call("POST", messages, {"content": line})
        if status != 201:
            failures += 1
            goals.append(goals[-1] if goals else [])
            feedback.append(None)
            continue
        tutor.append(turn["reply"]["content"])
        verdict = (turn.get("user_message") or {}).get("feedback")
        feedback.append(None if verdict is None else verdict["ok"])
        done = [goal["id"] for goal in turn.get("goals", []) if goal["done"]]
        goals.append(done)
    status, _ = api.call("POST", f"/rooms/{room['id']}/report?ui=en")
    return {"tutor": tutor, "feedback": feedback, "goals": goals, "failures": failures,
            "report_ok": status == 200}


def error_detection(api, language, level, count):
    """Feedback on lines with one known error each: whether each was marked."""
    scene = DATA["scene"]
    status, room = api.call("POST", "/rooms", {
        "language": language, "level": level, "situation": scene["situation"],
        "my_role": scene["my_role"], "gpt_role": scene["gpt_role"], "auto_feedback": True})
    assert status == 201, (status, room)
    marked = []
    for error in DATA["languages"][language]["errors"][:count]:
        status, turn = api.call("POST", f"/rooms/{room['id']}/messages?ui=en", {"content": error["line"]})
        verdict = (turn.get("user_message") or {}).get("feedback") if status == 201 else None
        marked.append(None if verdict is None else not verdict["ok"])
    return marked


def measure(language, level, talk, marked, line_count):
    tutor = talk["tutor"]
    expected = DATA["expected_goals_after_line"][:line_count]
    judged_correct = [ok for ok in talk["feedback"] if ok is not None]
    judged_errors = [mark for mark in marked if mark is not None]
    trap = DATA["trap_line"]
    lengths = [metrics.length(line, language) for line in tutor]
    rare = [metrics.above_level_share(line, language, level) for line in tutor]
    return {
        "language": language, "level": level, "tutor_turns": len(tutor),
        "failed_calls": talk["failures"],
        "sentences_per_turn": metrics.mean(metrics.sentences(line) for line in tutor),
        "length_per_turn": metrics.mean(lengths),
        "length_unit": "characters" if language in metrics.BY_CHARACTER else "words",
        "questions_per_turn": metrics.mean(metrics.questions(line) for line in tutor),
        "above_level_share": metrics.mean(rare),
        "length_drift": metrics.drift(lengths),
        "above_level_drift": metrics.drift(rare),
        "wrong_language_share": metrics.mean(metrics.in_wrong_language(line, language) for line in tutor),
        "over_correction": metrics.mean(not ok for ok in judged_correct),
        "error_detection": metrics.mean(judged_errors),
        "goal_accuracy": metrics.goal_accuracy(talk["goals"], expected),
        "trap_taken": bool(len(talk["goals"]) > trap and talk["goals"][trap]),
        "report_follows_schema": talk["report_ok"],
    }


def cell(value, percent=False):
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{value * 100:.0f}%" if percent else f"{value:.2f}"


def table(rows):
    columns = [("language", "language", None), ("level", "level", None),
               ("turns", "tutor_turns", None), ("fail", "failed_calls", None),
               ("sent/turn", "sentences_per_turn", False), ("len/turn", "length_per_turn", False),
               ("q/turn", "questions_per_turn", False), ("above lvl", "above_level_share", True),
               ("len drift", "length_drift", False), ("wrong lang", "wrong_language_share", True),
               ("overcorr", "over_correction", True), ("detect", "error_detection", True),
               ("goals", "goal_accuracy", True), ("trap", "trap_taken", None),
               ("report", "report_follows_schema", None)]
    lines = ["  ".join(f"{title:>10}" for title, _, _ in columns)]
    for row in rows:
        values = []
        for _, key, percent in columns:
            value = row[key]
            values.append(str(value) if percent is None and not isinstance(value, bool) else cell(value, bool(percent)))
        lines.append("  ".join(f"{value:>10}" for value in values))
    return "\n".join(lines)


def main():
    api = Api(os.environ.get("ROLECHAT_API_URL", "http://127.0.0.1:9000"))
    languages = [l for l in os.environ.get("EVAL_LANGUAGES", ",".join(DATA["languages"])).split(",") if l]
    levels = [l for l in os.environ.get("EVAL_LEVELS", ",".join(LEVELS)).split(",") if l]
    line_count = int(os.environ.get("EVAL_LINES", "10"))
    error_count = int(os.environ.get("EVAL_ERRORS", "4"))
    username = f"eval-{uuid.uuid4().hex[:10]}"
    status, login = api.call("POST", "/signup", {"username": username, "password": uuid.uuid4().hex,
                                                  "native_language": "en"})
    assert status == 201, (status, login)
    api.token = login["access_token"]
    cases = [tuple(case.split(":")) for case in os.environ.get("EVAL_CASES", "").split(",") if case]
    cases = cases or [(language, level) for language in languages for level in levels]
    rows, started = [], time.monotonic()
    for language, level in cases:
        lines = DATA["languages"][language]["lines"][:line_count]
        talk = conversation(api, language, level, lines)
        marked = error_detection(api, language, level, error_count)
        rows.append(measure(language, level, talk, marked, line_count))
        print(f"{language} {level}: {rows[-1]['tutor_turns']} tutor turns", file=sys.stderr)
    print(table(rows))
    print(f"{len(rows)} conversations in {time.monotonic() - started:.0f} s. Length is in "
          "characters for ja-JP and zh-CN, in words otherwise; 'above lvl' is the share of the "
          "tutor's words rarer than the level's vocabulary (wordfreq, CC BY-SA 4.0).")
    out = pathlib.Path(os.environ.get("EVAL_OUT", "target/eval/eval.json"))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"rows": rows}, ensure_ascii=False, indent=1))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
