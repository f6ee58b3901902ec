"""FAQ persistence: seeding from the shipped content, reading published entries, a version-keyed index cache."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from itertools import chain

from sqlalchemy import event, func, or_, select
from sqlalchemy.orm import Session

from knowledge.entries import Entry, entry_from_dict, load_content, load_glossary
from knowledge.examples import Example, shipped_examples
from knowledge.fusion import Calibration
from knowledge.models import FaqEntry, FaqRevision
from knowledge.search import Glossary, KnowledgeIndex

SEED_AUTHOR = "seed"
# Inside `one_version()`: id(IndexCache) -> the index its first `get` returned.
_pinned: ContextVar[dict | None] = ContextVar("knowledge_pinned_index", default=None)
ENTRY_FIELDS = (
    "topic",
    "question",
    "question_en",
    "paraphrases",
    "answer",
    "answer_easy",
    "answer_en",
    "source",
    "follow_up",
    "valid_from",
    "valid_until",
    "reviewed_at",
    "review_by",
    "note",
)


def seed_from_content(session: Session, entries: list[Entry] | None = None) -> int:
    """Load shipped entries: insert the new ones and refresh those staff never edited; returns rows written.

    An entry whose every revision is by "seed" follows the shipped files (a release can correct it); once staff
    save, import or revert it, the database copy is theirs and is never overwritten.
    """
    entries = load_content() if entries is None else entries
    rows = {row.id: row for row in session.scalars(select(FaqEntry))}
    by_staff = or_(FaqRevision.author.is_(None), FaqRevision.author != SEED_AUTHOR)
    edited = set(session.scalars(select(FaqRevision.faq_id).where(by_staff)))
    written = 0
    for entry in entries:
        data = entry.to_dict()
        fields = {k: data[k] for k in ENTRY_FIELDS}
        row = rows.get(entry.id)
        if row is None:
            row = FaqEntry(id=entry.id, status="published", version=1, **fields)
            session.add(row)
        elif entry.id in edited or _json_snapshot(fields) == _json_snapshot(_fields_of(row)):
            continue
        else:
            for key, value in fields.items():
                setattr(row, key, value)
            row.version += 1
        session.add(
            FaqRevision(faq_id=entry.id, version=row.version, snapshot=_json_snapshot(data), author=SEED_AUTHOR)
        )
        written += 1
    session.flush()
    return written


def _fields_of(row: FaqEntry) -> dict:
    return {k: getattr(row, k) for k in ENTRY_FIELDS}


def _json_snapshot(data: dict) -> dict:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in data.items()}


def row_to_entry(row: FaqEntry) -> Entry:
    """The served value of a stored FAQ row."""
    return entry_from_dict({"id": row.id, **_fields_of(row)})


def published_entries(session: Session) -> list[Entry]:
    """Every published entry, in id order."""
    rows = session.scalars(select(FaqEntry).where(FaqEntry.status == "published").order_by(FaqEntry.id))
    return [row_to_entry(r) for r in rows]


def content_version(session: Session) -> tuple:
    """A cheap token that changes whenever any FAQ row changes."""
    count, latest, versions = session.execute(
        select(func.count(FaqEntry.id), func.max(FaqEntry.updated_at), func.sum(FaqEntry.version))
    ).one()
    return (count, str(latest), versions)


@contextmanager
def one_version() -> Iterator[None]:
    """Within the block (one bot event, which never edits FAQ rows), every `IndexCache.get` returns the index its
    first call did, without asking the database for the content version again (the index keeps its rankings, so a
    repeated search is not computed again either). Not for code that edits FAQ content (it must see its own
    changes)."""
    token = _pinned.set({})
    try:
        yield
    finally:
        _pinned.reset(token)


VERSION_TTL = 1.0  # seconds a process trusts the content version it read (another process's edit shows within it)
_edits = [0]  # FAQ rows written by this process so far (flushes and commits that touched one)


def _touches_faq(session: Session) -> bool:
    return any(isinstance(row, FaqEntry) for row in chain(session.new, session.dirty, session.deleted))


@event.listens_for(Session, "after_flush")
def _note_faq_flush(session: Session, _context) -> None:
    if _touches_faq(session):
        session.info["faq_written"] = True
        _edits[0] += 1


@event.listens_for(Session, "after_commit")
def _note_faq_commit(session: Session) -> None:
    if session.info.pop("faq_written", False):
        _edits[0] += 1  # again: a reader between the flush and the commit may have cached the old version


@dataclass
class IndexCache:
    """Keeps one built index per process and rebuilds it when the stored content changes.

    The content version is read at most once per `version_ttl` seconds per process: an edit made in this process
    shows at once, one made elsewhere within that time."""

    glossary: Glossary
    _index: KnowledgeIndex | None = None
    _version: tuple | None = None
    version_ttl: float = VERSION_TTL
    examples: tuple[Example, ...] = ()  # residents' labelled messages (knowledge/examples.py)
    calibration: Calibration | None = None  # the fusion model (None: the shipped one)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._checked: tuple[float, int] | None = None  # (monotonic time, _edits) when the version was last read

    @classmethod
    def with_shipped_glossary(cls) -> IndexCache:
        """A cache using the glossary shipped in knowledge/content/ and the shipped labelled messages."""
        return cls(Glossary(load_glossary()), examples=tuple(shipped_examples()))

    def get(self, session: Session) -> KnowledgeIndex:
        """The index for the currently stored content (inside `one_version()`, as of the first call)."""
        pinned = _pinned.get()
        if pinned is not None and (index := pinned.get(id(self))) is not None:
            return index
        index = self._recent(session)
        if index is None:
            edits, now = _edits[0], time.monotonic()
            version = content_version(session)
            with self._lock:
                if self._index is None or version != self._version:
                    self._index = KnowledgeIndex(
                        published_entries(session), self.glossary, calibration=self.calibration, examples=self.examples
                    )
                    self._version = version
                self._checked = (now, edits)
                index = self._index
        if pinned is not None:
            pinned[id(self)] = index
        return index

    @contextmanager
    def using_examples(self, examples: Iterable[Example], calibration: Calibration | None = None) -> Iterator[None]:
        """Search with other labelled messages (and another fusion model) meanwhile: the evaluation holds each fold's
        own messages out of them (and out of the model it scores the fold with)."""
        with self._lock:
            kept = self.examples, self.calibration, self._index, self._version
            self.examples, self._index, self._checked = tuple(examples), None, None
            self.calibration = calibration or self.calibration
        try:
            yield
        finally:
            with self._lock:
                self.examples, self.calibration, self._index, self._version = kept
                self._checked = None

    def _recent(self, session: Session) -> KnowledgeIndex | None:
        """The index, when its version was read less than `version_ttl` ago and no FAQ row was written since."""
        with self._lock:
            checked, index = self._checked, self._index
        if index is None or checked is None or checked[1] != _edits[0] or _touches_faq(session):
            return None
        return index if time.monotonic() - checked[0] < self.version_ttl else None

    def entry(self, entry_id: str) -> Entry | None:
        """An entry of the last built index by id (call `get` first in the same event)."""
        pinned = _pinned.get()
        index = pinned.get(id(self)) if pinned is not None else None
        if index is None:
            index = self._index
        return index.by_id.get(entry_id) if index else None
