"""Rule and keyword triage with a retrieval hint; unsure between two paths means alternatives, not a guess."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from intents.crisis_model import CRISIS_MODEL
from intents.labels import TOPIC_INTENTS
from intents.model import INTENT_MODEL, training_examples
from intents.slots import extract_slots
from intents.specific import asks_specific
from knowledge.morph import word_starts
from knowledge.text import normalize

LEXICON = Path(__file__).parent / "lexicon.yaml"
KB_TOPIC_INTENT = {"referral": "out_of_scope"}
SHORT_MESSAGE = 8
OUT_OF_SCOPE_WEIGHT = 3.0
# The knowledge base's best match adds HINT_WEIGHT × its probability to its topic, once that says something.
HINT_WEIGHT = 0.6
HINT_FLOOR = 0.4
# Each topic's lexicon evidence adds TOPIC_WORD_WEIGHT × min(evidence, TOPIC_WORD_CAP) to that topic (chosen by
# cross-validation over the dev set).
TOPIC_WORD_WEIGHT = 0.12
TOPIC_WORD_CAP = 4.0
# Below this much keyword and retrieval evidence, a message is about nothing the centre does.
MIN_EVIDENCE = 1.0
# The crisis model (intents/crisis_model.py) calls a message a crisis from MODEL_CRISIS, a figurative one (「死ぬほど
# 暑い」) from MODEL_CRISIS_FIGURATIVE, and one with an ambiguous word (「虐待防止の勉強会」) from MODEL_CRISIS_DOUBTFUL
# (chosen by cross-validation over the dev set, `madoguchi eval --intent-cv`: a missed crisis costs far more than a
# false alarm, so the highest held-out crisis recall whose false alarms stay under 2 % of the messages and which
# leaves the look-alikes issue #13 names alone, e.g. 「夫に反対されています。どなたかアドバイスを」, which no fold's
# model flagged at 0.5 while four of five did at 0.45).
MODEL_CRISIS = 0.5
MODEL_CRISIS_FIGURATIVE = 0.8
MODEL_CRISIS_DOUBTFUL = 0.2
# The learned intent model alone calls a message a greeting, a request for a person or a booking from these.
MODEL_GREETING = 0.5
MODEL_PERSON = 0.5
MODEL_BOOKING = 0.5
# A knowledge match this probable outweighs out-of-scope words (住民票 in a question the knowledge base answers).
KB_TOPICAL = 0.8
# The learned models read a message only when it is this long (Japanese characters; twice as many Latin letters).
MODEL_MIN_LENGTH = 8
# Without any topic word or knowledge match, the model must be this sure to name a topic.
MODEL_ALONE = 0.6
_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
_KANJI = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")
# を/が/は/も/に after kanji, before more text: dropped so 「活動をしたい」 matches the term 「活動したい」.
_PARTICLE = re.compile(r"(?<=[\u3400-\u9fff])[をがはもに](?=[\u3040-\u309f\u3400-\u9fff])")


@dataclass(frozen=True)
class Triage:
    """What a message is about: intent, confidence (0..1), slots, close alternatives, language, crisis level."""

    intent: str
    confidence: float
    slots: dict = field(default_factory=dict)
    alternatives: tuple[str, ...] = ()
    language: str = "ja"
    crisis: str | None = None  # urgent | gentle | None


@dataclass(frozen=True)
class Lexicon:
    """Normalised term lists loaded from lexicon.yaml."""

    crisis_urgent: tuple[str, ...]
    crisis_ambiguous: tuple[str, ...]
    crisis_short: tuple[str, ...]
    crisis_gentle: tuple[str, ...]
    crisis_pairs: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]
    not_crisis: tuple[str, ...]
    human: tuple[str, ...]
    not_human: tuple[str, ...]
    human_pairs: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]
    booking: tuple[str, ...]
    booking_weak: tuple[str, ...]
    consultation: tuple[str, ...]
    not_booking: tuple[str, ...]
    rooms: tuple[str, ...]
    greeting: tuple[str, ...]
    greeting_fillers: tuple[str, ...]
    out_of_scope: dict[str, float]
    out_of_scope_strong: dict[str, float]  # the clear signs only (住民票, 天気), not the referral themes (子育て)
    not_out_of_scope: tuple[str, ...]
    not_topic: tuple[str, ...]
    topics: dict[str, dict[str, float]]
    other_bodies: tuple[str, ...] = ()  # kinds of body the centre does not serve (株式会社, 宗教法人)
    own_bodies: tuple[str, ...] = ()  # the centre's own (NPO, 町内会, サークル, ボランティア)
    comparisons: tuple[str, ...] = ()  # what follows a body named only to compare (「株式会社なら」)
    other_places: tuple[str, ...] = ()  # places not the centre's (図書館, 美術館)
    place_asked: tuple[str, ...] = ()  # what is asked of a place itself (何時, 行き方)


def _terms(items) -> tuple[str, ...]:
    return tuple(dict.fromkeys(n for n in (normalize(str(i)) for i in items or []) if n))


def _weights(terms) -> dict[str, float]:
    return {normalize(str(k)): float(v) for k, v in (terms or {}).items() if normalize(str(k))}


@lru_cache(maxsize=4)
def load_lexicon(path: Path = LEXICON) -> Lexicon:
    """Read and normalise the lexicon file (cached per path)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    topics = {intent: _weights(terms) for intent, terms in data["topics"].items()}
    out_of_scope = {term: OUT_OF_SCOPE_WEIGHT for term in _terms(data["out_of_scope"]["strong"])}
    out_of_scope.update(_weights(data["out_of_scope"]["themes"]))
    bodies, places = data["out_of_scope"]["other_bodies"], data["out_of_scope"]["other_places"]
    return Lexicon(
        crisis_urgent=_terms(data["crisis"]["urgent"]),
        crisis_ambiguous=_terms(data["crisis"]["ambiguous"]),
        crisis_short=_terms(data["crisis"]["short_only"]),
        crisis_gentle=_terms(data["crisis"]["gentle"]),
        crisis_pairs=tuple((_terms(left), _terms(right)) for left, right in data["crisis"].get("pairs") or []),
        not_crisis=_terms(data["crisis"]["not_crisis"]),
        human=_terms(data["human"]),
        not_human=_terms(data.get("not_human")),
        human_pairs=tuple((_terms(a), _terms(b)) for a, b in data.get("human_pairs") or []),
        booking=_terms(data["booking"]["strong"]),
        booking_weak=_terms(data["booking"]["with_consultation"]),
        consultation=_terms(data["booking"]["consultation"]),
        not_booking=_terms(data["booking"]["not_booking"]),
        rooms=_terms(data["booking"]["rooms"]),
        greeting=_terms(data["greeting"]),
        greeting_fillers=_terms(data["greeting_fillers"]),
        out_of_scope=out_of_scope,
        out_of_scope_strong={t: w for t, w in out_of_scope.items() if w >= OUT_OF_SCOPE_WEIGHT},
        not_out_of_scope=_terms(data["out_of_scope"]["not_out_of_scope"]),
        not_topic=_terms(data["out_of_scope"]["not_topic"]),
        topics=topics,
        other_bodies=_terms(bodies["terms"]),
        own_bodies=_terms(bodies["own"]),
        comparisons=_terms(bodies["comparison"]),
        other_places=_terms(places["terms"]),
        place_asked=_terms(places["asked"]),
    )


def detect_language(text: str) -> str:
    """ "en" for messages written in Latin letters without Japanese, else "ja"."""
    latin = len(_LATIN.findall(text))
    return "en" if latin >= 3 and not _JAPANESE.search(text) else "ja"


def crisis_level(norm: str, lex: Lexicon, topical: bool) -> str | None:
    """urgent, doubtful (an ambiguous word: the crisis model decides), gentle or None for a normalised message."""
    cleaned = norm
    for phrase in lex.not_crisis:
        cleaned = cleaned.replace(phrase, "")
    if any(term in cleaned for term in lex.crisis_urgent):
        return "urgent"
    for left, right in lex.crisis_pairs:
        if any(a in cleaned for a in left) and any(b in cleaned for b in right):
            return "urgent"
    if not topical and len(cleaned) <= SHORT_MESSAGE + 4 and any(t in cleaned for t in lex.crisis_short):
        return "urgent"
    if any(term in cleaned for term in lex.crisis_ambiguous):
        return "doubtful"
    if any(term in cleaned for term in lex.crisis_gentle):
        return "gentle"
    return None


def drop_particles(norm: str) -> str:
    """「活動をしたい」→「活動したい」: case particles right after a kanji word, so lexicon terms match either way."""
    return _PARTICLE.sub("", norm)


def _evidence(norm: str, terms: dict[str, float]) -> float:
    """Sum of the weights of the terms found in the text or its particle-less form (the larger)."""
    return max(_evidence_in(norm, terms), _evidence_in(drop_particles(norm), terms))


def _evidence_in(norm: str, terms: dict[str, float]) -> float:
    """Sum of the weights of the terms found (longest first, each text span counted once)."""
    score, remaining = 0.0, norm
    for term in sorted(terms, key=len, reverse=True):
        if term in remaining:
            score += terms[term]
            remaining = remaining.replace(term, "|")
    return score


def topic_scores(norm: str, lex: Lexicon) -> dict[str, float]:
    """Keyword evidence per topic intent (「衆議院の解散」 is no evidence of dissolving a group)."""
    for phrase in lex.not_topic:
        norm = norm.replace(phrase, "|")
    scores = dict.fromkeys(TOPIC_INTENTS, 0.0)
    for intent, terms in lex.topics.items():
        scores[intent] += _evidence(norm, terms)
    return scores


def out_of_scope_score(norm: str, lex: Lexicon, strong_only: bool = False) -> float:
    """Evidence that the message is about something outside the centre's work (city procedures, daily life…);
    `strong_only`: the clear signs only (住民票, 天気), not the themes referred elsewhere (子育て, ひとり親)."""
    for phrase in lex.not_out_of_scope:
        norm = norm.replace(phrase, "|")
    return _evidence(norm, lex.out_of_scope_strong if strong_only else lex.out_of_scope)


def about_other_body(norm: str, lex: Lexicon) -> bool:
    """The message is about a kind of body the centre does not serve (「株式会社の解散登記の費用」): it names one, not
    only to compare (「株式会社なら1人で作れるって聞いたけど」), and names none of the centre's own (NPO, 町内会…)."""
    if any(own in norm for own in lex.own_bodies):
        return False
    places = [norm.find(p) for p in lex.other_places if p in norm]
    if places and any(norm.find(a, min(places)) >= 0 for a in lex.place_asked):
        return True  # 「中央図書館の開館時間」: another place's hours, not 「何時まで？区役所は土曜休みなので」
    return any(
        not any(norm.startswith(c, match.end()) for c in lex.comparisons)
        for body in lex.other_bodies
        for match in re.finditer(re.escape(body), norm)
    )


def is_booking(norm: str, lex: Lexicon) -> bool:
    """Booking, checking or cancelling a consultation (not a room, not 「予約なしで行ける？」)."""
    cleaned = norm
    for phrase in (*lex.not_booking, *lex.rooms):
        cleaned = cleaned.replace(phrase, "|")
    if any(term in cleaned for term in lex.booking):
        return not any(room in norm for room in lex.rooms)
    return any(term in cleaned for term in lex.booking_weak) and any(c in norm for c in lex.consultation)


def _is_greeting_only(norm: str, lex: Lexicon) -> bool:
    rest = norm
    for term in sorted(lex.greeting, key=len, reverse=True):
        rest = rest.replace(term, "")
    if rest == norm:
        return False
    for filler in sorted(lex.greeting_fillers, key=len, reverse=True):
        rest = rest.replace(filler, "")
    return len(rest) <= 2


# How a self-introduction ends (「市内の小学校で教員をしている者です」「○○町内会の山田と申します」).
_INTRODUCTION = re.compile(r"(?:者|もの|と申します|といいます|でございます|です)[。.!！…\s]*$")
# A wish in it makes it the wish (「ボランティア したい です」「NPOを作りたいと考えている者です」).
_WISHES = re.compile(r"たい|ほしい|欲しい|want|like to")
_OPENING_GREETINGS = (
    "こんにちは",
    "こんばんは",
    "おはよう",
    "はじめまして",
    "初めまして",
    "お世話になって",
    "おせわになって",
)


def _greets_and_introduces(text: str) -> bool:
    """「こんにちは。市内の小学校で教員をしている者です。」: a greeting and who is writing, nothing asked yet."""
    folded = text.strip()
    return (
        (folded.startswith(_OPENING_GREETINGS) or folded.startswith(("いつもお世話", "いつもおせわ")))
        and bool(_INTRODUCTION.search(folded))
        and not asks_specific(text)
        and not _WISHES.search(text)
    )


def names_topic(text: str, intent: str) -> bool:
    """The message uses the topic's own words (「解散」「NPO」「ボランティア」), not just words the model leans on."""
    return topic_scores(normalize(text), load_lexicon()).get(intent, 0.0) >= 1.0


def asks_for_person(norm: str, lex: Lexicon) -> bool:
    """「人と話したい」, or a person named with a request to reach them (not 「スタッフさんに頼まれました」, nor
    「同じ立場の人と話せる場」)."""
    for phrase in lex.not_human:
        norm = norm.replace(phrase, "|")
    if any(has_word(norm, term) for term in lex.human):
        return True
    return any(
        any(has_word(norm, a) for a in left) and any(b in norm for b in right) for left, right in lex.human_pairs
    )


def has_word(norm: str, term: str) -> bool:
    """The term as a word, not inside one: 「人とはな」 is not in 「npo法人とはなんですか」.

    Only a kanji right before a kanji term is checked against the words (a compound like 法人); a term after kana
    or a symbol counts, so messages written in hiragana, which the analyser splits less well, lose nothing."""
    start = norm.find(term)
    while start >= 0:
        if start == 0 or not (_KANJI.match(term) and _KANJI.match(norm[start - 1])) or start in word_starts(norm):
            return True
        start = norm.find(term, start + 1)
    return False


def lexicon_examples(lex: Lexicon) -> dict[str, list[str]]:
    """The lexicon's words as labelled examples for the learned model."""
    return {
        "crisis": list(lex.crisis_urgent),
        "human": list(lex.human),
        "booking": list(lex.booking),
        "greeting": list(lex.greeting),
        "out_of_scope": [t for t, w in lex.out_of_scope.items() if w >= OUT_OF_SCOPE_WEIGHT],
    }


def model_examples() -> list[tuple[str, str]]:
    """Both learned models' training examples: the shipped questions, the dev messages and the lexicon's words."""
    return training_examples(lexicon_examples(load_lexicon()))


@lru_cache(maxsize=512)
def classify(text: str, kb_topic: str | None = None, kb_score: float = 0.0) -> Triage:
    """Triage one message; `kb_topic`/`kb_score` are the knowledge base's best match, if any.

    Pure, so it is cached: the throttle, the hand-off guard and the dialogue read one message's triage once."""
    lex = load_lexicon()
    norm = normalize(text)
    language = detect_language(text)
    slots = extract_slots(text, norm)
    scores = topic_scores(norm, lex)
    hint = KB_TOPIC_INTENT.get(kb_topic, kb_topic) if kb_topic else None
    # A topic word makes a short plea topical (「運営を助けてほしい」 is not a cry for help); a knowledge match does
    # not: a bare 「たすけて」 stays a crisis however close some FAQ wording comes to it.
    crisis = crisis_level(norm, lex, max(scores.values()) >= 2)
    japanese = language == "ja" and len(norm) >= MODEL_MIN_LENGTH
    says_enough = japanese or text.isascii() and len(norm) >= 2 * MODEL_MIN_LENGTH  # not Vietnamese, Spanish…
    if crisis != "urgent" and norm:  # wordings no rule lists (「海へ行ってそのまま帰らない」), and ambiguous words
        danger = CRISIS_MODEL.get(model_examples).probability(text)
        floor = {"doubtful": MODEL_CRISIS_DOUBTFUL, "gentle": MODEL_CRISIS_FIGURATIVE}.get(crisis, MODEL_CRISIS)
        if danger >= floor and (says_enough or crisis == "doubtful"):
            crisis = "urgent"
        elif crisis == "doubtful":
            crisis = None

    def result(intent: str, confidence: float, alternatives: tuple[str, ...] = ()) -> Triage:
        return Triage(intent, round(confidence, 3), slots, alternatives, language, crisis)

    if crisis == "urgent":
        return result("crisis", 0.95)
    if not norm:
        return result("greeting", 0.3)
    if asks_for_person(norm, lex):
        return result("human", 0.9)
    if is_booking(norm, lex):
        topic, weight = max(scores.items(), key=lambda kv: kv[1])
        if weight >= 2:
            slots["topic"] = topic
        return result("booking", 0.9)
    if _is_greeting_only(norm, lex) or _greets_and_introduces(text):
        return result("greeting", 0.9)
    # With a topic word, themes alone (子育て + ママ友 in 「子育てサークル作りたい」) are not someone else's business.
    rules_oos = out_of_scope_score(norm, lex, strong_only=max(scores.values()) >= 2)
    probabilities = INTENT_MODEL.get(model_examples).probabilities(text)
    if hint in probabilities and kb_score >= HINT_FLOOR:
        probabilities[hint] += HINT_WEIGHT * kb_score
    for intent, weight in scores.items():  # the topic's own words (「ぼらんちあ」「幕引き」) back the model
        probabilities[intent] = probabilities.get(intent, 0.0) + TOPIC_WORD_WEIGHT * min(weight, TOPIC_WORD_CAP)
    ranked = sorted(probabilities.items(), key=lambda kv: -kv[1])
    best, top = ranked[0]
    if best == "greeting" and top >= MODEL_GREETING:
        return result("greeting", top)
    if best == "human" and top >= MODEL_PERSON and says_enough:  # 「ひと と はなしたい」「折り返し電話ください」
        return result("human", top)
    if best == "booking" and top >= MODEL_BOOKING and says_enough:  # 「士業相談会、来月の空きある？」
        return result("booking", top)
    if rules_oos >= MIN_EVIDENCE * OUT_OF_SCOPE_WEIGHT and (best != hint or kb_score < KB_TOPICAL):  # 住民票, 天気…
        return result("out_of_scope", 0.6)
    if about_other_body(norm, lex):  # 「株式会社の解散登記」: an NPO's entries read close but do not answer it
        return result("out_of_scope", 0.6)
    if max(scores.values()) + (kb_score if hint else 0.0) < MIN_EVIDENCE and top < MODEL_ALONE:
        return result("out_of_scope", 0.2)  # no topic word, no knowledge match, and the model unsure: nothing to go on
    topical = [(k, v) for k, v in ranked if k in (*TOPIC_INTENTS, "out_of_scope")]
    (best, top), (second, runner_up) = topical[0], topical[1]
    total = sum(v for _, v in topical) or 1.0
    confidence = min(1.0, top / total)
    topical_pair = best != "out_of_scope" and second != "out_of_scope"
    alternatives = (second,) if topical_pair and runner_up >= 0.6 * top else ()
    return result(best, confidence, alternatives)
