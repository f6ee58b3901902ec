"""knowledge.editing: drafts stay unserved, publishing bumps the version and the bot's index, revert, diff."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from knowledge import editing
from knowledge.models import FaqEntry, FaqRevision
from knowledge.store import IndexCache, content_version, published_entries

FAQ = "founding.npo_min_members"


@pytest.fixture
def session(factory):
    with factory() as s:
        yield s


def data_of(session, faq_id=FAQ, **changes):
    return {**editing.row_data(session.get(FaqEntry, faq_id)), **changes}


def served(session, faq_id=FAQ):
    return next(e for e in published_entries(session) if e.id == faq_id)


def test_a_draft_is_not_served_until_published(session):
    before = served(session).answer
    revision = editing.save_draft(session, data_of(session, answer="新しい回答です。"), "staff@example.jp")
    assert served(session).answer == before
    assert editing.pending_draft(session, FAQ) is revision
    row = editing.publish(session, data_of(session, answer="新しい回答です。"), "staff@example.jp")
    assert served(session).answer == "新しい回答です。"
    assert row.version == revision.version + 1 and editing.pending_draft(session, FAQ) is None


def test_publishing_changes_the_content_version_so_every_process_rebuilds(session):
    cache = IndexCache.with_shipped_glossary()
    old_index, old_version = cache.get(session), content_version(session)
    editing.publish(session, data_of(session, paraphrases=["法人の頭数"]), "s")
    assert content_version(session) != old_version
    assert cache.get(session) is not old_index
    assert cache.get(session).search("法人の頭数", None, k=1)[0].entry.id == FAQ


def test_a_new_entry_starts_as_an_unserved_draft(session):
    data = {**data_of(session), "id": "founding.new_thing", "question": "新しい質問ですか？", "paraphrases": []}
    editing.save_draft(session, data, "s")
    row = session.get(FaqEntry, "founding.new_thing")
    assert row.status == "draft" and row.version == 0
    assert "founding.new_thing" not in {e.id for e in published_entries(session)}
    editing.publish(session, data, "s")
    assert served(session, "founding.new_thing").question == "新しい質問ですか？"


def test_revert_publishes_an_earlier_revision_as_a_new_one(session):
    original = served(session).answer
    editing.publish(session, data_of(session, answer="まちがった回答"), "s")
    row = editing.revert(session, FAQ, 1, "s")
    assert served(session).answer == original
    versions = [r.version for r in editing.revisions(session, FAQ)]
    assert versions == [3, 2, 1] and row.version == 3


def test_archiving_stops_serving_and_publishing_again_restores(session):
    editing.set_status(session, FAQ, "archived", "s")
    assert FAQ not in {e.id for e in published_entries(session)}
    editing.set_status(session, FAQ, "published", "s")
    assert served(session)


def test_discarding_a_draft_keeps_the_published_text(session):
    editing.save_draft(session, data_of(session, answer="下書き"), "s")
    assert editing.discard_draft(session, FAQ) == 1
    assert editing.pending_draft(session, FAQ) is None


def test_a_paraphrase_is_published_and_added_to_a_pending_draft_too(session):
    editing.save_draft(session, data_of(session, answer="下書きの回答"), "s")
    assert editing.add_paraphrase(session, FAQ, "法人 何人から", "s")
    assert "法人 何人から" in served(session).paraphrases
    draft, status = editing.from_snapshot(editing.pending_draft(session, FAQ).snapshot)
    assert status == "draft" and "法人 何人から" in draft["paraphrases"] and draft["answer"] == "下書きの回答"
    assert not editing.add_paraphrase(session, FAQ, "法人　何人から", "s")  # same after normalising


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"id": "Founding.Bad Id"}, "IDは"),
        ({"id": "volunteer.wrong_topic"}, "分野名"),
        ({"answer": ""}, "answer"),
        ({"topic": "cooking"}, "topic"),
        ({"follow_up": {"booking": "massage"}}, "booking"),
        ({"follow_up": {"related": ["founding.nope"]}}, "関連FAQ"),
        ({"valid_from": "2027-01-02", "valid_until": "2027-01-01"}, "掲載終了日"),
    ],
)
def test_invalid_edits_are_refused_with_a_message(session, changes, message):
    with pytest.raises(editing.EditError, match=message):
        editing.save_draft(session, data_of(session, **changes), "s")


def test_every_save_is_a_revision_with_author_and_status(session):
    editing.save_draft(session, data_of(session, answer="一"), "a@example.jp")
    editing.publish(session, data_of(session, answer="二"), "b@example.jp")
    rows = session.scalars(select(FaqRevision).where(FaqRevision.faq_id == FAQ).order_by(FaqRevision.version))
    assert [(r.version, r.author, r.snapshot.get("status", "published")) for r in rows] == [
        (1, "seed", "published"),
        (2, "a@example.jp", "draft"),
        (3, "b@example.jp", "published"),
    ]


def test_the_diff_shows_changed_fields_line_by_line():
    old = {"question": "Q", "answer": "一行目\n二行目", "paraphrases": ["a", "b"], "follow_up": {"booking": None}}
    new = {
        "question": "Q",
        "answer": "一行目\n三行目",
        "paraphrases": ["a", "b", "c"],
        "follow_up": {"booking": "general"},
    }
    changes = {c.field: c.lines for c in editing.diff_entries(old, new)}
    assert set(changes) == {"answer", "paraphrases", "follow_up"}
    assert (
        ("-", "二行目") in changes["answer"]
        and ("+", "三行目") in changes["answer"]
        and (" ", "一行目") in changes["answer"]
    )
    assert changes["paraphrases"][-1] == ("+", "c")
    assert ("+", "booking: general") in changes["follow_up"]
