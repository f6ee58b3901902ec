"""`madoguchi ask --jsonl`: one JSON object per input line, with a fixed schema, errors reported in line."""

from __future__ import annotations

import json

from click.testing import CliRunner

from bot.cli import main
from intents.labels import INTENTS

FIELDS = {"text", "intent", "confidence", "faq_id", "kind", "handoff", "reply_text", "messages"}


def test_ask_jsonl_writes_one_answer_per_question_in_order():
    questions = [
        "ボランティアを始めたい",
        "開館時間を教えて",
        "明日の天気は？",
        "我想当志愿者",
        "相談を予約したい",
        "🙂",
    ]
    stdin = "\n".join(json.dumps({"text": q}, ensure_ascii=False) for q in questions) + "\n\n"
    result = CliRunner().invoke(main, ["ask", "--jsonl"], input=stdin)
    assert result.exit_code == 0, result.output
    answers = [json.loads(line) for line in result.output.splitlines()]
    assert [a["text"] for a in answers] == questions
    for answer in answers:
        assert set(answer) == FIELDS
        assert answer["intent"] in INTENTS
        assert answer["confidence"] is None or 0.0 <= answer["confidence"] <= 1.0
        assert answer["faq_id"] is None or isinstance(answer["faq_id"], str)
        assert isinstance(answer["handoff"], bool)
        assert isinstance(answer["reply_text"], str) and answer["reply_text"]
        assert isinstance(answer["messages"], list) and answer["messages"]
    assert answers[1]["faq_id"] == "centre_info.hours"


def test_ask_jsonl_reports_a_malformed_line_and_goes_on():
    stdin = 'not json\n{"question": "no text field"}\n{"text": "こんにちは"}\n'
    result = CliRunner().invoke(main, ["ask", "--jsonl"], input=stdin)
    assert result.exit_code == 0, result.output
    first, second, third = (json.loads(line) for line in result.output.splitlines())
    assert "error" in first and first["line"] == "not json"
    assert "error" in second
    assert third["intent"] == "greeting"


def test_a_booking_question_is_offered_the_dates_a_running_worker_would_have_made():
    result = CliRunner().invoke(main, ["ask", "--jsonl"], input='{"text": "解散の相談を予約したい"}\n')
    answer = json.loads(result.output)
    assert answer["intent"] == "booking" and "ご希望の日を選んでください" in answer["reply_text"]


def test_an_answer_keeps_the_residents_intent_when_the_entry_lives_under_another_topic():
    stdin = json.dumps({"text": "NPOの解散について相談できる日ってありますか？"}, ensure_ascii=False) + "\n"
    result = CliRunner().invoke(main, ["ask", "--jsonl"], input=stdin)
    answer = json.loads(result.output.splitlines()[0])
    assert answer["faq_id"] == "centre_info.dissolution_day"  # the centre's consultation day …
    assert answer["intent"] == "dissolution"  # … asked by someone dissolving their NPO
