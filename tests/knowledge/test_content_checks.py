"""Checks on the shipped knowledge base: sources, review dates, all three registers, no wording shared by entries.

A review_by date in the past is allowed in the files (the admin lists such entries for staff to re-check).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import pytest

from knowledge.entries import load_content
from knowledge.text import normalize

REGISTER_FIELDS = ("answer", "answer_easy", "answer_en", "question_en")


@pytest.fixture(scope="module")
def entries():
    return load_content()


def test_every_shipped_entry_names_its_source_and_a_review_date(entries):
    no_source = [e.id for e in entries if not e.source.strip()]
    no_review = [e.id for e in entries if not isinstance(e.review_by, date)]
    assert no_source == [], f"entries without a source: {no_source}"
    assert no_review == [], f"entries without a valid review_by date (ISO, e.g. 2027-04-01): {no_review}"


def test_every_shipped_entry_is_written_in_all_three_registers(entries):
    missing = {e.id: [f for f in REGISTER_FIELDS if not getattr(e, f).strip()] for e in entries}
    missing = {entry_id: fields for entry_id, fields in missing.items() if fields}
    assert missing == {}, "entries missing a register:\n" + "\n".join(f"  {i}: {f}" for i, f in missing.items())


def test_no_two_entries_share_a_normalised_question_or_paraphrase(entries):
    owners: dict[str, dict[str, str]] = defaultdict(dict)  # normalised text -> {entry id: as written}
    for entry in entries:
        for text in (entry.question, *entry.paraphrases):
            owners[normalize(text)].setdefault(entry.id, text)
    shared = {key: ids for key, ids in owners.items() if key and len(ids) > 1}
    lines = [" / ".join(f"{i}: 「{t}」" for i, t in ids.items()) for ids in shared.values()]
    assert shared == {}, "the same wording leads to different entries:\n" + "\n".join(f"  {x}" for x in lines)


OVERDUE = """\
topic: referral
entries:
  - id: referral.overdue_example
    question: 古い情報の例ですか？
    question_en: Is this an example of old facts?
    answer: はい。
    answer_easy: はい。
    answer_en: "Yes."
    source: test
    review_by: 2001-04-01
"""


def test_a_review_date_in_the_past_is_allowed_in_the_files(tmp_path):
    (tmp_path / "referral.yaml").write_text(OVERDUE, encoding="utf-8")
    [entry] = load_content(tmp_path)
    assert entry.review_by == date(2001, 4, 1) and entry.is_due_for_review(date(2001, 4, 2))
    assert not entry.is_due_for_review(date(2001, 4, 1))
