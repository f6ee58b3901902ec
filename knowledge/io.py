"""Import and export of the whole knowledge base: YAML (one content-file document per topic) and CSV.

Both round-trip exactly: exporting, importing that file and exporting again gives the same bytes, and the
entries are unchanged. YAML documents have the shape of knowledge/content/*.yaml (SCHEMA.md), plus `status`
on entries that are not published. CSV has one row per entry; list and dict columns hold JSON.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import date

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge import untrusted_yaml
from knowledge.editing import STATUSES, EditError, publish, row_data, save_draft, validate
from knowledge.entries import TOPICS
from knowledge.models import FaqEntry
from knowledge.spreadsheet import csv_writer, restore_cell

YAML_KEYS = (
    "id",
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
)
CSV_COLUMNS = (
    "id",
    "topic",
    "status",
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
# Absent from files exported before the three registers: such a file leaves these fields of stored entries alone.
NEWER_KEYS = ("question_en", "answer_easy", "answer_en", "review_by")
JSON_COLUMNS = ("paraphrases", "follow_up")
FOLLOW_UP_ORDER = ("booking", "coordinator", "related")


@dataclass
class ImportReport:
    """What an import did: ids created, updated and unchanged, and stored ids the file did not mention."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


class _Dumper(yaml.SafeDumper):
    """Safe dumper writing multi-line strings as literal blocks and indented lists, like the content files."""

    def increase_indent(self, flow: bool = False, indentless: bool = False):
        """Indent block sequences under their key."""
        return super().increase_indent(flow, False)


def _str(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def _records(session: Session) -> list[dict]:
    rows = list(session.scalars(select(FaqEntry)))
    order = {t: i for i, t in enumerate(TOPICS)}
    rows.sort(key=lambda r: (order.get(r.topic, len(order)), r.topic, r.id))
    return [{**row_data(r), "status": r.status} for r in rows]


def _follow_up(value: dict) -> dict:
    first = {k: value[k] for k in FOLLOW_UP_ORDER if k in value}
    return {**first, **{k: value[k] for k in sorted(value) if k not in first}}


def _yaml_entry(record: dict) -> dict:
    out = {k: record[k] for k in YAML_KEYS}
    out["follow_up"] = _follow_up(record["follow_up"] or {})
    if record["note"] is not None:
        out["note"] = record["note"]
    if record["status"] != "published":
        out["status"] = record["status"]
    return out


def export_yaml(session: Session) -> str:
    """The whole knowledge base as a YAML stream: one content-file document per topic."""
    docs: dict[str, list[dict]] = {}
    for record in _records(session):
        docs.setdefault(record["topic"], []).append(_yaml_entry(record))
    stream = [{"topic": topic, "entries": entries} for topic, entries in docs.items()]
    return yaml.dump_all(stream, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=4096)


def parse_yaml(text: str) -> list[dict]:
    """Entry records (with topic and status) from a YAML export or a single content file."""
    records = []
    try:
        documents = [d for d in untrusted_yaml.load_all(text) if d]
    except yaml.YAMLError as exc:
        raise EditError(f"YAMLとして読めません: {exc}") from exc
    for doc in documents:
        if not isinstance(doc, dict) or not isinstance(doc.get("entries"), list):
            raise EditError("YAMLの各文書には topic と entries が必要です。")
        for item in doc["entries"]:
            if not isinstance(item, dict):
                raise EditError("entries の各項目は id・question・answer などをもつ対応表にしてください。")
            records.append({**item, "topic": item.get("topic") or doc.get("topic")})
    return records


def export_csv(session: Session) -> str:
    """The whole knowledge base as CSV (UTF-8 with BOM, so spreadsheet programs read Japanese correctly)."""
    out = io.StringIO()
    writer = csv_writer(out, lineterminator="\r\n")  # formula-looking cells neutralised
    writer.writerow(CSV_COLUMNS)
    for record in _records(session):
        record = {**record, "follow_up": _follow_up(record["follow_up"] or {})}
        writer.writerow([_cell(col, record[col]) for col in CSV_COLUMNS])
    return "\ufeff" + out.getvalue()


def _cell(column: str, value) -> str:
    if column in JSON_COLUMNS:
        return json.dumps(value, ensure_ascii=False)
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, date) else str(value)


def parse_csv(text: str) -> list[dict]:
    """Entry records from a CSV export (JSON list/dict columns, empty cells as null)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    columns = reader.fieldnames or []
    missing = [c for c in CSV_COLUMNS if c not in columns and c not in NEWER_KEYS]
    if missing:
        raise EditError(f"CSVの列が足りません: {', '.join(missing)}")
    records = []
    for line, row in enumerate(reader, start=2):
        row = {k: restore_cell(v) if isinstance(v, str) else v for k, v in row.items()}  # undo csv_writer
        record: dict = {k: (row.get(k) or None) for k in CSV_COLUMNS if k in columns}
        try:
            for column in JSON_COLUMNS:
                record[column] = json.loads(row[column] or ("[]" if column == "paraphrases" else "{}"))
        except ValueError as exc:
            raise EditError(f"CSV {line}行目の {column} がJSONとして読めません: {exc}") from exc
        record["source"] = row["source"]
        records.append(record)
    return records


def import_records(session: Session, records: list[dict], author: str | None) -> ImportReport:
    """Create or update every entry of a file in the caller's transaction; unchanged entries are left alone."""
    ids = [str(r.get("id") or "") for r in records]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise EditError(f"IDが重複しています: {', '.join(duplicates)}")
    existing = {r.id: r for r in session.scalars(select(FaqEntry))}
    for record in records:  # placeholders first, so entries of the same file may relate to each other
        if record.get("id") and record["id"] not in existing:
            session.add(_placeholder(record))
    session.flush()
    report, errors = ImportReport(missing=sorted(set(existing) - set(ids))), []
    for record in records:
        try:
            _import_one(session, record, existing.get(record["id"]), author, report)
        except EditError as exc:
            errors.append(f"{record.get('id') or '(IDなし)'}: {exc}")
    if errors:
        raise EditError("取り込めませんでした。\n" + "\n".join(errors))
    return report


def _placeholder(record: dict) -> FaqEntry:
    return FaqEntry(id=str(record["id"]), topic=str(record.get("topic") or ""), question="", answer="", status="draft")


def _import_one(session: Session, record: dict, before: FaqEntry | None, author, report: ImportReport) -> None:
    status = record.get("status") or "published"
    if status not in STATUSES:
        raise EditError(f"status は {', '.join(STATUSES)} のいずれかです。")
    if before is not None:  # an older file: keep what it cannot mention
        record = {**{k: getattr(before, k) for k in NEWER_KEYS if k not in record}, **record}
    clean = validate(session, record).to_dict()
    if before is not None and before.status == status and row_data(before) == clean:
        report.unchanged.append(clean["id"])
        return
    if status == "draft":
        save_draft(session, clean, author)
    else:
        publish(session, clean, author, status=status)
    (report.updated if before is not None else report.created).append(clean["id"])
