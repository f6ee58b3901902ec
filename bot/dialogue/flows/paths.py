"""The guided paths as data (bot/data/paths.yaml): steps, options, outcomes, and how typed text matches them."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from bot import DATA_DIR
from intents.slots import extract_slots
from knowledge.text import normalize

PATHS_FILE = DATA_DIR / "paths.yaml"
POLITE_ENDINGS = tuple(
    normalize(w)
    for w in (
        *("んですけど", "んですが", "のですが", "のですけど", "ですけど", "ですが"),
        *("なんです", "んです", "です", "ます", "けど", "なあ", "な"),
    )
)
QUESTION_WORDS = tuple(
    normalize(w)
    for w in (
        *("ありますか", "でしょうか", "ですか", "ますか", "どこ", "いつ"),
        *("何時", "なんじ", "教えて", "どうすれば", "どうやって"),
    )
)
MAX_HEAD = 10  # 「NPO法人と」: a few words before a start phrase, not a whole question
_ASCII_WORD = re.compile(r"^[a-z0-9 ]+$")


@dataclass(frozen=True)
class Option:
    """One answer to a step: the slot value, its labels per language, extra typed words, when it is offered, and
    what the path's result adds for it (an FAQ entry offered as a chip, a note per language)."""

    value: str
    labels: dict[str, str]
    words: tuple[str, ...]
    only_if: dict[str, list[str]]
    faq: str | None = None
    note: dict[str, str] = field(default_factory=dict)
    said: dict[str, str] = field(default_factory=dict)  # how the result repeats it, when the step's phrase won't do

    def label(self, lang: str) -> str:
        """The label in `lang` (Japanese when there is none)."""
        return label(self.labels, lang)


@dataclass(frozen=True)
class Step:
    """One question of a path."""

    id: str
    ask: dict[str, str]
    options: tuple[Option, ...]
    only_if: dict[str, list[str]]
    ward: bool
    phrase: dict[str, str] = field(default_factory=dict)  # how the result repeats the answer: 「{label}に関心」

    def said(self, value: str, lang: str) -> str:
        """The chosen answer as the result repeats it (「子ども・子育てに関心」, "interested in children")."""
        option = self.option(value)
        if option is None:
            return value
        if option.said:
            return label(option.said, lang)
        text = option.label(lang)
        if not self.phrase:
            return text
        return label(self.phrase, lang).format(label=text[:1].lower() + text[1:] if lang == "en" else text)

    def offered(self, slots: dict) -> list[Option]:
        """The options shown for these slots."""
        return [o for o in self.options if matches(o.only_if, slots)]

    def option(self, value: str | None) -> Option | None:
        """The option with this value, if any."""
        return next((o for o in self.options if o.value == value), None)


@dataclass(frozen=True)
class Outcome:
    """Where a path ends: an FAQ entry, short summaries in English and やさしい日本語, and the next steps."""

    when: dict[str, list[str]]
    faq: str
    en: str
    easy: str
    related: tuple[str, ...]
    booking: str | None
    coordinator: bool
    by_ward: bool


@dataclass(frozen=True)
class Path_:
    """A guided path."""

    id: str
    title: dict[str, str]
    steps: tuple[Step, ...]
    outcomes: tuple[Outcome, ...]
    start: frozenset[str]
    wards: dict[str, dict[str, str]]

    def step(self, step_id: str | None) -> Step | None:
        """The step with this id, if any."""
        return next((s for s in self.steps if s.id == step_id), None)

    def index(self, step_id: str) -> int:
        """Position of a step (len(steps) for slots that are not steps, e.g. ward_name)."""
        ids = [s.id for s in self.steps]
        return ids.index(step_id) if step_id in ids else len(ids)


def label(labels: dict[str, str], lang: str) -> str:
    """A text in `lang`, falling back to Japanese."""
    return labels.get(lang) or labels["ja"]


def _cond(raw: dict | None) -> dict[str, list[str]]:
    return {k: (v if isinstance(v, list) else [v]) for k, v in (raw or {}).items()}


def _option(raw: dict) -> Option:
    words = (*raw["label"].values(), *raw.get("words", []))
    typed = tuple(dict.fromkeys(_word(str(w)) for w in words))
    return Option(
        raw["value"],
        raw["label"],
        typed,
        _cond(raw.get("if")),
        raw.get("faq"),
        raw.get("note") or {},
        raw.get("said") or {},
    )


def _word(word: str) -> str:
    """Matching form of a typed word: spaced lower-case for Latin words, normalised otherwise."""
    ascii_only = unicodedata.normalize("NFKC", word).isascii()
    return _spaced(word) if ascii_only else normalize(word)


def _spaced(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", unicodedata.normalize("NFKC", text).lower()).strip()


@lru_cache(maxsize=2)
def load_paths(path: Path = PATHS_FILE) -> dict[str, Path_]:
    """Read the guided paths from YAML."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out = {}
    for pid, raw in data.items():
        steps = tuple(
            Step(
                s["id"],
                s["ask"],
                tuple(_option(o) for o in s["options"]),
                _cond(s.get("if")),
                bool(s.get("ward")),
                s.get("phrase") or {},
            )
            for s in raw["steps"]
        )
        outcomes = tuple(
            Outcome(
                _cond(o.get("when")),
                o["faq"],
                o.get("en", ""),
                o.get("easy", ""),
                tuple(o.get("related", [])),
                o.get("booking"),
                bool(o.get("coordinator")),
                bool(o.get("by_ward")),
            )
            for o in raw["outcomes"]
        )
        start = frozenset(normalize(str(w)) for w in raw.get("start", []))
        out[pid] = Path_(pid, raw["title"], steps, outcomes, start, raw.get("wards") or {})
    return out


def matches(cond: dict[str, list[str]], slots: dict) -> bool:
    """Whether the slots satisfy a condition ({slot: allowed values})."""
    return all(slots.get(key) in values for key, values in cond.items())


def plain(text: str) -> str:
    """Normalised text without a polite ending (「町内会です」 → 「町内会」)."""
    norm = normalize(text)
    for ending in POLITE_ENDINGS:
        if norm.endswith(ending) and len(norm) > len(ending):
            return norm[: -len(ending)]
    return norm


def started_path(text: str) -> str | None:
    """The path a typed phrase opens, if any: a start phrase (「ボランティアをしたいです」 → volunteer), or one
    after a few words that answer the first question with one option (「町内会を解散したい」 → dissolution)."""
    norm, short = normalize(text), plain(text)
    for path in load_paths().values():
        if norm in path.start or short in path.start:
            return path.id
        for phrase in path.start:
            head = short.removesuffix(phrase)
            named = named_options(path.steps[0], head, {}) if head != short and len(head) <= MAX_HEAD else []
            if len(phrase) >= 4 and len(named) == 1:  # 「会社としてNPOと連携したい」 names two: not a clear start
                return path.id
    return None


def looks_like_question(text: str) -> bool:
    """A whole question (「センターの近くに駐車場はありますか？」) rather than a short answer to a step."""
    norm = normalize(text)
    if len(norm) <= 10:
        return False
    stripped = text.strip().rstrip("。.!！ 　")
    return stripped.endswith(("?", "？", "か")) or any(w in norm for w in QUESTION_WORDS)


def typed_option(step: Step, text: str, slots: dict) -> Option | None:
    """The offered option typed text names; with several, the one named by the longest word."""
    named = named_options(step, text, slots)
    return max(named, key=lambda pair: pair[0])[1] if named else None


def named_options(step: Step, text: str, slots: dict) -> list[tuple[int, Option]]:
    """(length of the longest word that names it, option) for each offered option the text names."""
    norm, short, spaced = normalize(text), plain(text), f" {_spaced(text)} "
    found: list[tuple[int, Option]] = []
    for option in step.offered(slots):
        hits = [
            len(word)
            for word in option.words
            if word
            and (
                f" {word} " in spaced
                if _ASCII_WORD.match(word)
                else word in (norm, short) or (len(word) >= 2 and word in norm)
            )
        ]
        if hits:
            found.append((max(hits), option))
    return found


def typed_ward(path: Path_, text: str) -> str | None:
    """A ward named in the text (「港北区」, 「港北」, "Kohoku"), as its Japanese name."""
    ward = extract_slots(text, normalize(text)).get("ward")
    if ward in path.wards:
        return ward
    norm, words = normalize(text), set(_spaced(text).split())
    for name, info in path.wards.items():
        stem, en = name.removesuffix("区"), info.get("en", "")
        if len(stem) >= 2 and stem != "神奈川" and normalize(stem) in norm:  # 神奈川 alone is the prefecture
            return name
        if en and (en in words or en + "ku" in words):
            return name
    return None
