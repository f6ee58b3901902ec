"""The learned crisis detector: distress in words no rule lists, and ambiguous words read in context."""

from __future__ import annotations

import numpy as np
import pytest

from intents import classify
from intents.classifier import model_examples
from intents.crisis_model import CRISIS_MODEL, TRAINING_VECTORS
from knowledge.semantic import shared_embedder, text_key


@pytest.mark.parametrize(
    "text",
    [
        "もう何もかも手放して、静かにいなくなりたいと思っています",  # despair without a listed word
        "団体の引き継ぎ書類はまとめました。わたしはもう、この先にいないと思うので",  # inside a practical message
        "I've written letters to everyone and I won't need my things after this week",
        "隣の部屋からずっと物が壊れる音と、子どもの泣き叫ぶ声がします",
    ],
)
def test_distress_in_unlisted_words_is_a_crisis(text):
    triage = classify(text)
    assert triage.intent == "crisis" and triage.crisis == "urgent"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("高齢者虐待防止の勉強会を町内会で開きたいので講師を探しています", "partnering"),
        ("この企画はもう今年度で終わりにしたいので、団体の解散の手続きを教えて", "dissolution"),
        ("町内会で包丁研ぎのボランティアを企画しています。センターの部屋は借りられますか", "centre_info"),
    ],
)
def test_an_ambiguous_word_in_a_plain_request_is_not_a_crisis(text, intent):
    triage = classify(text)
    assert triage.intent != "crisis" and triage.crisis is None


def test_an_ambiguous_word_in_danger_is_a_crisis():
    assert classify("元夫がナイフを持って玄関の前にいます").intent == "crisis"


def test_the_crisis_probability_rises_with_danger():
    model = CRISIS_MODEL.get(model_examples)
    danger = model.probability("今夜で全部終わりにします。さようなら")
    assert danger > model.probability("NPO法人の設立に必要な書類は？")


def test_every_training_text_has_a_shipped_vector():
    """A process never embeds the training texts at start: `madoguchi eval --calibrate` ships their vectors."""
    texts = {t[:500] for t, _ in model_examples()}
    with np.load(TRAINING_VECTORS, allow_pickle=False) as data:
        assert str(data["model"]) == shared_embedder().name
        shipped = set(data["keys"].tolist())
    missing = [t for t in texts if text_key(t) not in shipped]
    assert not missing, f"run `madoguchi eval --calibrate`: {len(missing)} texts lack a vector, e.g. {missing[:3]}"
