"""Triage rules: crisis first, explicit requests over topics, figurative language is not a crisis."""

from __future__ import annotations

import pytest

from intents import classify


@pytest.mark.parametrize(
    "text", ["死にたい", "もう消えたい…", "夫に殴られる", "子どもが虐待されているかも", "助けて", "たすけてください"]
)
def test_danger_signals_are_crisis(text):
    triage = classify(text)
    assert triage.intent == "crisis" and triage.crisis == "urgent"


def test_figurative_death_is_not_a_crisis():
    assert classify("解散して死んだような町内会").intent == "dissolution"


def test_busy_to_death_answers_the_request_and_flags_gently():
    triage = classify("死ぬほど忙しくてNPOの会計が回らない")
    assert triage.intent == "founding" and triage.crisis == "gentle"


def test_asking_for_help_with_running_a_group_is_not_a_crisis():
    assert classify("NPOの運営を助けてほしい").intent != "crisis"


def test_booking_wins_over_the_topic_and_keeps_it_as_a_slot():
    triage = classify("解散の相談を予約したい")
    assert triage.intent == "booking" and triage.slots["topic"] == "dissolution"


def test_asking_for_a_person_wins_over_the_topic():
    assert classify("NPOの設立について人と話したい").intent == "human"


def test_room_booking_is_about_the_centre_not_a_consultation():
    assert classify("スペースを予約したい").intent == "centre_info"


@pytest.mark.parametrize("text", ["こんにちは", "ありがとうございました！", "よろしくお願いします"])
def test_greetings(text):
    assert classify(text).intent == "greeting"


def test_english_is_detected():
    assert classify("I want to volunteer").language == "en"


def test_slots_are_extracted():
    slots = classify("港北区の町内会を来週たたみたい").slots
    assert slots["ward"] == "港北区" and slots["org_type"] == "neighbourhood" and "来週" in slots["date_words"]
