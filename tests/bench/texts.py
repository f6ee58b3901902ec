"""What the benchmarks' residents write: a few texts repeated, and texts never seen before.

Repeated texts (`TEXTS`, in rotation) are what rich-menu taps and common short messages look like: after the first
few events every per-process cache that is keyed by a message's text (its sentence embedding, its triage, its
words) already holds them. Distinct texts (`distinct_texts`) are never repeated within a run, so each one misses
every such cache: the cost of a question the bot has not seen. Benchmarks report the two apart.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from pathlib import Path

TEXTS = [
    "ボランティアを始めたい",
    "センターは何時まで開いていますか",
    "NPO法人を作るには何人必要ですか",
    "助成金を探しています",
    "駐車場はありますか",
    "会議室を借りたい",
    "町内会の会計のやり方を知りたい",
    "子ども食堂を始めたいです",
    "協働って何ですか",
    "こんにちは",
    "休館日はいつ？",
    "団体の会員が集まらない",
    "チラシを置いてもらえますか",
    "ありがとうございました",
    "自治会を解散したい",
    "印刷機は使えますか",
]
QUESTIONS = Path(__file__).with_name("questions.txt")  # fixed: the workload does not drift with the dev set
# Wordings around a question that add no sign of their own ("お願いします" would: with 職員 it asks for a person).
OPENERS = ("", "すみません、", "あの、", "質問です。", "はじめまして。", "ちょっとお聞きしたいのですが、")
CLOSERS = ("", "教えてください。", "どうでしょうか。", "知りたいです。", "わかりますか。")


def questions() -> list[str]:
    """Resident questions on the centre's topics (founding, volunteering, dissolution, the centre, partnering), in
    Japanese: the dev set's as of issue 17, without those the triage takes (or nearly takes) for a crisis, a request
    for a person, a booking or a greeting in any wording here. Those would hand the conversation to a person or
    start a flow, and the following events would be answered differently (questions.txt says how it was made)."""
    lines = QUESTIONS.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def distinct_texts(seed: int = 17) -> Iterator[str]:
    """Resident questions, none ever repeated: `questions()` with an opener or a closer (the dev set's own wording,
    which the triage model is trained on, is not sent), every question once before any comes again in another
    wording (then, past every wording, with a number)."""
    questions_ = questions()
    random.Random(seed).shuffle(questions_)
    return _wordings(questions_)


def _wordings(questions_: list[str]) -> Iterator[str]:
    seen: set[str] = set()
    for rounds in itertools.count():
        for opener, closer in itertools.product(OPENERS, CLOSERS):
            if not opener and not closer:
                continue  # the dev set's own wording: the triage model was trained on it
            for question in questions_:
                stop = "。" if closer and question[-1] not in "。？！?!" else ""
                text = f"{opener}{question}{stop}{closer}" + (f"（{rounds + 1}）" if rounds else "")
                if text not in seen:
                    seen.add(text)
                    yield text
