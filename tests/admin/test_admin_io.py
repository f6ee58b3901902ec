"""knowledge.io: the whole KB as YAML and CSV, round trip exact; imports are all or nothing."""

from __future__ import annotations

import csv
import io

import pytest
import yaml
from sqlalchemy import func, select

from knowledge import editing
from knowledge import io as kb_io
from knowledge.entries import CONTENT_DIR, load_content
from knowledge.models import FaqEntry, FaqRevision


@pytest.fixture
def session(factory):
    with factory() as s:
        yield s


def edit_some(session):
    """A mix of states: an archived entry, a never-published draft, odd characters and dates in every register."""
    data = editing.row_data(session.get(FaqEntry, "founding.npo_steps"))
    odd = {
        "answer": 'a: "b"\n  インデント\n# not a comment\n<b>&amp;',
        "answer_easy": "みじかい 文\n- リストでは ない",
        "answer_en": 'Step 1: "quoted"\n  indented # not a comment',
        "question_en": "How do I start? (an NPO)",
        "valid_until": "2030-03-31",
        "review_by": "2027-01-31",
        "note": "x",
    }
    editing.publish(session, {**data, **odd}, "s")
    editing.set_status(session, "founding.npo_min_members", "archived", "s")
    new = {**data, "id": "founding.only_draft", "question": "下書きだけ？", "paraphrases": [], "note": None}
    editing.save_draft(session, {**new, "follow_up": {"related": ["founding.npo_steps"]}}, "s")


@pytest.mark.parametrize(("export", "parse"), [("export_yaml", "parse_yaml"), ("export_csv", "parse_csv")])
def test_export_import_export_is_byte_for_byte_the_same(factory, session, export, parse):
    edit_some(session)
    session.commit()
    first = getattr(kb_io, export)(session)
    session.rollback()  # one writer at a time on SQLite: end this transaction before the next
    with factory() as other:
        report = kb_io.import_records(other, getattr(kb_io, parse)(first), "s")
        assert report.created == report.updated == [] and len(report.unchanged) == len(load_content()) + 1
        assert getattr(kb_io, export)(other) == first


@pytest.mark.parametrize(("export", "parse"), [("export_yaml", "parse_yaml"), ("export_csv", "parse_csv")])
def test_an_export_rebuilds_an_empty_database_exactly(app, factory, session, export, parse):
    edit_some(session)
    session.commit()
    text = getattr(kb_io, export)(session)
    before = {r.id: (editing.row_data(r), r.status) for r in session.scalars(select(FaqEntry))}
    session.rollback()
    with factory() as other:
        other.execute(FaqEntry.__table__.delete())
        other.execute(FaqRevision.__table__.delete())
        report = kb_io.import_records(other, getattr(kb_io, parse)(text), "s")
        assert len(report.created) == len(load_content()) + 1  # + the draft
        after = {r.id: (editing.row_data(r), r.status) for r in other.scalars(select(FaqEntry))}
        assert after == before
        assert getattr(kb_io, export)(other) == text


def test_the_yaml_export_has_the_content_file_shape(session):
    documents = list(yaml.safe_load_all(kb_io.export_yaml(session)))
    assert [d["topic"] for d in documents][:2] == ["volunteer", "founding"]
    shipped = {e.id: e for e in load_content(CONTENT_DIR)}
    for doc in documents:
        for item in doc["entries"]:
            assert list(item)[:9] == [
                *("id", "question", "question_en", "paraphrases"),
                *("answer", "answer_easy", "answer_en", "source", "follow_up"),
            ]
            entry = shipped[item["id"]]
            assert (entry.answer, entry.answer_easy, entry.answer_en) == (
                item["answer"],
                item["answer_easy"],
                item["answer_en"],
            )
            assert item["review_by"] == entry.review_by
    assert "\n    answer: |" in kb_io.export_yaml(session)  # answers stay readable literal blocks


def test_the_csv_export_has_json_list_and_dict_columns(session):
    rows = list(csv.DictReader(io.StringIO(kb_io.export_csv(session).lstrip("\ufeff"))))
    assert list(rows[0]) == list(kb_io.CSV_COLUMNS)
    assert rows[0]["paraphrases"].startswith('["') and rows[0]["follow_up"].startswith('{"booking"')


def test_an_edited_file_updates_only_what_changed(session):
    records = kb_io.parse_yaml(kb_io.export_yaml(session))
    target = next(r for r in records if r["id"] == "founding.npo_steps")
    target["answer"] = "オフラインで直した回答"
    report = kb_io.import_records(session, records, "s")
    assert report.updated == ["founding.npo_steps"] and report.created == []
    assert session.get(FaqEntry, "founding.npo_steps").answer == "オフラインで直した回答"


def test_a_file_with_one_bad_entry_changes_nothing(factory, session):
    records = kb_io.parse_yaml(kb_io.export_yaml(session))
    records[0]["answer"] = "変更"
    records[1]["topic"] = "cooking"
    with pytest.raises(editing.EditError, match=records[1]["id"]):
        kb_io.import_records(session, records, "s")
    session.rollback()
    with factory() as fresh:
        assert fresh.get(FaqEntry, records[0]["id"]).answer != "変更"
        assert fresh.scalar(select(func.count(FaqRevision.id))) == len(load_content())  # the seed revisions only


@pytest.mark.parametrize(
    ("text", "parse", "message"),
    [
        ("topic: [", "parse_yaml", "YAMLとして読めません"),
        ("- just\n- a list\n", "parse_yaml", "topic と entries"),
        ("id,topic\nx,y\n", "parse_csv", "CSVの列が足りません"),
    ],
)
def test_unreadable_files_are_explained(text, parse, message):
    with pytest.raises(editing.EditError, match=message):
        getattr(kb_io, parse)(text)


def test_a_single_shipped_content_file_can_be_imported(session):
    text = (CONTENT_DIR / "referral.yaml").read_text(encoding="utf-8")
    report = kb_io.import_records(session, kb_io.parse_yaml(text), "s")
    assert report.updated == [] and report.created == [] and report.unchanged


def test_duplicate_ids_in_a_file_are_refused(session):
    records = kb_io.parse_yaml(kb_io.export_yaml(session))
    with pytest.raises(editing.EditError, match="重複"):
        kb_io.import_records(session, [records[0], records[0]], "s")


@pytest.mark.parametrize(("export", "parse"), [("export_yaml", "parse_yaml"), ("export_csv", "parse_csv")])
def test_the_three_registers_and_the_review_date_survive_export_and_import(factory, session, export, parse):
    edit_some(session)
    session.commit()
    text = getattr(kb_io, export)(session)
    session.rollback()
    with factory() as other:
        other.execute(FaqEntry.__table__.delete())
        other.execute(FaqRevision.__table__.delete())
        kb_io.import_records(other, getattr(kb_io, parse)(text), "s")
        row = other.get(FaqEntry, "founding.npo_steps")
        assert row.question_en == "How do I start? (an NPO)"
        assert row.answer_easy == "みじかい 文\n- リストでは ない"
        assert row.answer_en == 'Step 1: "quoted"\n  indented # not a comment'
        assert row.review_by.isoformat() == "2027-01-31"


def test_a_file_from_before_the_registers_imports_and_leaves_them_alone(session):
    old_columns = [c for c in kb_io.CSV_COLUMNS if c not in kb_io.NEWER_KEYS]
    rows = list(csv.DictReader(io.StringIO(kb_io.export_csv(session).lstrip("\ufeff"))))
    target = next(row for row in rows if row["id"] == "founding.npo_steps")
    out = io.StringIO()
    writer = csv.DictWriter(out, old_columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerow({**target, "answer": "古い形式のファイルで直した回答"})
    report = kb_io.import_records(session, kb_io.parse_csv(out.getvalue()), "s")
    assert report.updated == ["founding.npo_steps"]
    row = session.get(FaqEntry, "founding.npo_steps")
    assert row.answer == "古い形式のファイルで直した回答"
    assert row.answer_en == target["answer_en"] != "" and row.review_by.isoformat() == target["review_by"]
