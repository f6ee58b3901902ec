"""FAQ editing: drafts, publishing, revert and paraphrases, each saved as a FaqRevision snapshot; a pure diff.

Versions: revisions of an entry are numbered 1, 2, 3 …; the row's `version` is the number of the revision it
serves. A draft of a published entry lives only in a revision (newer than the row), so residents keep getting the
published text until staff publish. A never-published entry's row has status "draft" and is not served.
Publishing bumps the row's version, which changes `content_version`, so every process rebuilds its index.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from knowledge.entries import Entry, entry_from_dict
from knowledge.models import FaqEntry, FaqRevision
from knowledge.store import ENTRY_FIELDS
from knowledge.text import normalize

ID_PATTERN = re.compile(r"^[a-z][a-z_]*\.[a-z0-9_]+$")
STATUSES = ("draft", "published", "archived")
DATE_FIELDS = ("valid_from", "valid_until", "reviewed_at", "review_by")
REGISTER_TEXTS = ("question_en", "answer_easy", "answer_en")


class EditError(ValueError):
    """An edit that cannot be saved; the message is shown to staff as is."""


@dataclass(frozen=True)
class FieldDiff:
    """One changed field: its name and lines tagged '+', '-' or ' '."""

    field: str
    lines: list[tuple[str, str]]


def row_data(row: FaqEntry) -> dict:
    """The content of a stored row in the content-file shape (dates as dates)."""
    return {"id": row.id, **{k: getattr(row, k) for k in ENTRY_FIELDS}}


def to_snapshot(data: dict, status: str) -> dict:
    """JSON-safe revision snapshot of entry data (ISO dates) with its status."""
    snap = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in data.items() if k != "status"}
    return {**snap, "status": status}


def from_snapshot(snapshot: dict) -> tuple[dict, str]:
    """Entry data (dates parsed) and status from a revision snapshot (seeded ones have no status; older ones
    have no registers)."""
    data = {**dict.fromkeys(REGISTER_TEXTS, ""), "review_by": None}
    data.update((k, v) for k, v in snapshot.items() if k != "status")
    for key in DATE_FIELDS:
        if data.get(key):
            data[key] = date.fromisoformat(str(data[key]))
    return data, snapshot.get("status", "published")


def validate(session: Session, data: dict) -> Entry:
    """Check entry data (id, topic, texts, booking type, related ids, dates) and return the normalised Entry."""
    entry_id = str(data.get("id") or "").strip()
    if not ID_PATTERN.match(entry_id):
        raise EditError("IDは「topic.英小文字_数字」の形にしてください（例: founding.npo_steps）。")
    try:
        entry = entry_from_dict({**data, "id": entry_id, "note": (data.get("note") or "").strip() or None})
    except ValueError as exc:
        raise EditError(f"内容を確認してください: {exc}") from exc
    if not entry_id.startswith(entry.topic + "."):
        raise EditError(f"IDは分野名「{entry.topic}.」で始めてください。")
    if entry.valid_from and entry.valid_until and entry.valid_from > entry.valid_until:
        raise EditError("掲載終了日が掲載開始日より前になっています。")
    related = list(entry.follow_up.get("related") or [])
    known = set(session.scalars(select(FaqEntry.id).where(FaqEntry.id.in_(related)))) if related else set()
    unknown = [r for r in related if r not in known or r == entry_id]
    if unknown:
        raise EditError(f"関連FAQのIDが見つかりません: {', '.join(unknown)}")
    paraphrases = [p for p in dict.fromkeys(entry.paraphrases) if p != entry.question]  # exact repeats only
    return replace(entry, paraphrases=tuple(paraphrases))


def revisions(session: Session, faq_id: str) -> list[FaqRevision]:
    """Every revision of an entry, newest first."""
    query = select(FaqRevision).where(FaqRevision.faq_id == faq_id).order_by(FaqRevision.version.desc())
    return list(session.scalars(query))


def pending_draft(session: Session, faq_id: str) -> FaqRevision | None:
    """The unpublished draft of an entry (a draft revision newer than what is served), if any."""
    row = session.get(FaqEntry, faq_id)
    latest = session.scalar(
        select(FaqRevision).where(FaqRevision.faq_id == faq_id).order_by(FaqRevision.version.desc()).limit(1)
    )
    if latest is None or latest.snapshot.get("status") != "draft":
        return None
    return latest if row is None or latest.version > row.version or row.status == "draft" else None


def _next_version(session: Session, faq_id: str) -> int:
    latest = session.scalar(select(func.max(FaqRevision.version)).where(FaqRevision.faq_id == faq_id)) or 0
    row = session.get(FaqEntry, faq_id)
    return max(latest, row.version if row else 0) + 1


def _apply(row: FaqEntry, data: dict) -> None:
    for key in ENTRY_FIELDS:
        setattr(row, key, data[key])


def save_draft(session: Session, data: dict, author: str | None) -> FaqRevision:
    """Save edits as a draft revision; residents keep seeing the published text (a new entry is not served)."""
    clean = validate(session, data).to_dict()
    row = session.get(FaqEntry, clean["id"])
    if row is None:
        row = FaqEntry(id=clean["id"], status="draft", version=0, **{k: clean[k] for k in ENTRY_FIELDS})
        session.add(row)
    elif row.status == "draft":
        _apply(row, clean)
    revision = FaqRevision(
        faq_id=clean["id"], version=_next_version(session, clean["id"]), snapshot=to_snapshot(clean, "draft")
    )
    revision.author = author
    session.add(revision)
    session.flush()
    return revision


def publish(session: Session, data: dict, author: str | None, status: str = "published") -> FaqEntry:
    """Serve these contents from now on (or archive them): a new revision and a version bump."""
    if status not in ("published", "archived"):
        raise EditError(f"unknown status {status!r}")
    clean = validate(session, data).to_dict()
    version = _next_version(session, clean["id"])
    row = session.get(FaqEntry, clean["id"])
    if row is None:
        row = FaqEntry(id=clean["id"], **{k: clean[k] for k in ENTRY_FIELDS})
        session.add(row)
    _apply(row, clean)
    row.status, row.version = status, version
    session.add(FaqRevision(faq_id=row.id, version=version, snapshot=to_snapshot(clean, status), author=author))
    session.flush()
    return row


def revert(session: Session, faq_id: str, version: int, author: str | None) -> FaqEntry:
    """Publish the contents of an earlier revision again (as a new revision)."""
    revision = session.scalar(select(FaqRevision).where(FaqRevision.faq_id == faq_id, FaqRevision.version == version))
    if revision is None:
        raise EditError(f"{faq_id} の版 {version} は見つかりません。")
    data, _status = from_snapshot(revision.snapshot)
    return publish(session, {**data, "id": faq_id}, author)


def set_status(session: Session, faq_id: str, status: str, author: str | None) -> FaqEntry:
    """Archive a served entry (stop serving it) or publish an archived one again."""
    row = _row(session, faq_id)
    return publish(session, row_data(row), author, status=status)


def discard_draft(session: Session, faq_id: str) -> int:
    """Drop the unpublished draft revisions of a published entry; returns how many."""
    row = _row(session, faq_id)
    if row.status == "draft":
        raise EditError("まだ公開していないFAQの下書きは破棄できません（公開停止にしてください）。")
    result = session.execute(delete(FaqRevision).where(FaqRevision.faq_id == faq_id, FaqRevision.version > row.version))
    return result.rowcount or 0


def add_paraphrase(session: Session, faq_id: str, text: str, author: str | None) -> bool:
    """Add a resident's wording as a paraphrase and publish it (a pending draft gets it too); False if known."""
    row = _row(session, faq_id)
    text = " ".join(text.split())
    known = {normalize(v) for v in (row.question, *row.paraphrases)}
    if not normalize(text) or normalize(text) in known:
        return False
    data = row_data(row)
    if row.status == "draft":
        save_draft(session, {**data, "paraphrases": [*data["paraphrases"], text]}, author)
        return True
    draft = pending_draft(session, faq_id)
    publish(session, {**data, "paraphrases": [*data["paraphrases"], text]}, author, status=row.status)
    if draft is not None:
        pending, _ = from_snapshot(draft.snapshot)
        save_draft(session, {**pending, "paraphrases": [*pending.get("paraphrases", []), text]}, author)
    return True


def _row(session: Session, faq_id: str) -> FaqEntry:
    row = session.get(FaqEntry, faq_id)
    if row is None:
        raise EditError(f"FAQ {faq_id} は見つかりません。")
    return row


def field_text(value) -> str:
    """A field value as diffable text: lists one item per line, dicts as key: value lines."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return "\n".join(str(v) for v in value)
    if isinstance(value, dict):
        return "\n".join(f"{k}: {field_text(v).replace(chr(10), ', ')}" for k, v in value.items())
    return value.isoformat() if isinstance(value, date) else str(value)


def diff_entries(old: dict | None, new: dict) -> list[FieldDiff]:
    """Changed fields between two versions of an entry, line by line (difflib)."""
    changes: list[FieldDiff] = []
    for key in ENTRY_FIELDS:
        before = field_text((old or {}).get(key)).splitlines()
        after = field_text(new.get(key)).splitlines()
        if before == after:
            continue
        lines = [(line[0], line[2:]) for line in difflib.ndiff(before, after) if line[0] in "+- "]
        changes.append(FieldDiff(key, lines))
    return changes
