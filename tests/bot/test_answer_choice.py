"""Which match answers first when the best entry's topic is not what the message wants."""

from __future__ import annotations

import pytest

from bot.dialogue.answer import choose_answer
from knowledge.entries import Entry
from knowledge.fusion import Calibration
from knowledge.search import Match

CUT = Calibration(weights=(), bias=0.0, answer=0.78, suggest=0.15, disagree=0.93)


def match(entry_id: str, score: float) -> Match:
    topic = entry_id.split(".")[0]
    return Match(Entry(entry_id, topic, f"{entry_id}?", "…"), score, 0.0, 0.0, "")


def ids(matches: list[Match] | None) -> list[str] | None:
    return None if matches is None else [m.entry.id for m in matches]


def test_a_best_entry_of_the_wished_topic_answers():
    matches = [match("volunteer.food_children", 0.8), match("founding.kodomo_shokudo_start", 0.7)]
    assert ids(choose_answer(matches, "volunteer", CUT)) == ["volunteer.food_children", "founding.kodomo_shokudo_start"]


def test_another_topic_s_entry_answers_only_above_the_disagreement_cut_off():
    matches = [match("founding.kodomo_shokudo_start", 0.95), match("volunteer.food_children", 0.8)]
    assert ids(choose_answer(matches, "volunteer", CUT))[0] == "founding.kodomo_shokudo_start"


def test_below_it_the_wished_topic_s_best_entry_answers_and_the_other_is_one_tap_away():
    matches = [
        match("founding.kodomo_shokudo_start", 0.9),
        match("volunteer.food_children", 0.8),
        match("volunteer.seniors", 0.2),
    ]
    assert ids(choose_answer(matches, "volunteer", CUT)) == [
        "volunteer.food_children",
        "founding.kodomo_shokudo_start",
        "volunteer.seniors",
    ]


@pytest.mark.parametrize("own_score", [0.5, None])
def test_without_a_wished_topic_s_entry_at_the_answer_cut_off_none_answers(own_score):
    matches = [match("partnering.bousai_kyodo", 0.9)]
    if own_score is not None:
        matches.append(match("volunteer.disaster", own_score))
    assert choose_answer(matches, "volunteer", CUT) is None


@pytest.mark.parametrize(
    ("intent", "entry_id"), [("out_of_scope", "referral.futoko"), ("booking", "centre_info.walk_in")]
)
def test_referrals_fit_out_of_scope_and_the_centre_s_information_fits_booking(intent, entry_id):
    assert ids(choose_answer([match(entry_id, 0.8)], intent, CUT)) == [entry_id]
