"""The FAQ entry value and loading/validating the shipped YAML content files."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml

CONTENT_DIR = Path(__file__).parent / "content"
TOPICS = ("volunteer", "founding", "dissolution", "partnering", "centre_info", "referral")
BOOKING_TYPES = ("general", "shigyo", "partnering", "dissolution")
REGISTERS = ("ja", "easy", "en")  # standard Japanese, やさしい日本語, plain English


@dataclass(frozen=True)
class Entry:
    """One curated question and answer, as served to residents."""

    id: str
    topic: str
    question: str
    answer: str
    paraphrases: tuple[str, ...] = ()
    question_en: str = ""
    answer_easy: str = ""
    answer_en: str = ""
    source: str = ""
    follow_up: dict = field(default_factory=dict)
    valid_from: date | None = None
    valid_until: date | None = None
    reviewed_at: date | None = None
    review_by: date | None = None
    note: str | None = None

    def has_answer_in(self, lang: str) -> bool:
        """Whether the entry has its own answer text in register `lang` (ja always)."""
        return bool({"easy": self.answer_easy, "en": self.answer_en}.get(lang, self.answer))

    def answer_for(self, lang: str) -> str:
        """The answer in register `lang` (ja / easy / en), or the Japanese answer when that text is missing."""
        return {"easy": self.answer_easy, "en": self.answer_en}.get(lang) or self.answer

    def question_for(self, lang: str) -> str:
        """The question in register `lang`: English when written, else the Japanese question (easy has none)."""
        return (self.question_en if lang == "en" else "") or self.question

    def is_due_for_review(self, day: date) -> bool:
        """Whether staff should have re-checked the facts before `day`."""
        return bool(self.review_by and self.review_by < day)

    def is_valid_on(self, day: date) -> bool:
        """Whether the entry may be served on `day` (never before valid_from or after valid_until)."""
        if self.valid_from and day < self.valid_from:
            return False
        return not (self.valid_until and day > self.valid_until)

    def to_dict(self) -> dict:
        """Plain data in the content-file shape (YAML/CSV export, revisions)."""
        return {
            "id": self.id,
            "topic": self.topic,
            "question": self.question,
            "question_en": self.question_en,
            "paraphrases": list(self.paraphrases),
            "answer": self.answer,
            "answer_easy": self.answer_easy,
            "answer_en": self.answer_en,
            "source": self.source,
            "follow_up": dict(self.follow_up),
            "valid_from": self.valid_from,
            "valid_until": self.valid_until,
            "reviewed_at": self.reviewed_at,
            "review_by": self.review_by,
            "note": self.note,
        }


def entry_from_dict(data: dict, topic: str | None = None) -> Entry:
    """Build an Entry from content-file data (raises ValueError on a malformed entry)."""
    missing = [k for k in ("id", "question", "answer") if not data.get(k)]
    if missing:
        raise ValueError(f"entry {data.get('id', '?')}: missing {', '.join(missing)}")
    follow_up = dict(data.get("follow_up") or {})
    booking = follow_up.get("booking")
    if booking is not None and booking not in BOOKING_TYPES:
        raise ValueError(f"entry {data['id']}: unknown booking type {booking!r}")
    entry_topic = data.get("topic") or topic
    if entry_topic not in TOPICS:
        raise ValueError(f"entry {data['id']}: unknown topic {entry_topic!r}")
    return Entry(
        id=str(data["id"]),
        topic=entry_topic,
        question=str(data["question"]).strip(),
        answer=str(data["answer"]).strip(),
        paraphrases=tuple(str(p).strip() for p in data.get("paraphrases") or [] if str(p).strip()),
        question_en=_text(data.get("question_en")),
        answer_easy=_text(data.get("answer_easy")),
        answer_en=_text(data.get("answer_en")),
        source=str(data.get("source") or ""),
        follow_up=follow_up,
        valid_from=_date(data.get("valid_from")),
        valid_until=_date(data.get("valid_until")),
        reviewed_at=_date(data.get("reviewed_at")),
        review_by=_date(data.get("review_by")),
        note=data.get("note"),
    )


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _date(value) -> date | None:
    if value in (None, ""):
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def load_content(directory: Path = CONTENT_DIR) -> list[Entry]:
    """Every entry of every topic file, checked for unique ids and existing related ids."""
    entries: list[Entry] = []
    for path in sorted(directory.glob("*.yaml")):
        if path.name == "glossary.yaml":
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        entries.extend(entry_from_dict(item, data.get("topic")) for item in data.get("entries") or [])
    ids = [e.id for e in entries]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise ValueError(f"duplicate entry ids: {sorted(duplicates)}")
    known = set(ids)
    for entry in entries:
        unknown = [r for r in entry.follow_up.get("related") or [] if r not in known]
        if unknown:
            raise ValueError(f"entry {entry.id}: unknown related ids {unknown}")
    return entries


def load_glossary(directory: Path = CONTENT_DIR) -> list[list[str]]:
    """Synonym groups (canonical term first)."""
    data = yaml.safe_load((directory / "glossary.yaml").read_text(encoding="utf-8")) or {}
    return [[str(term) for term in group] for group in data.get("groups") or []]
