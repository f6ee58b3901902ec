"""`madoguchi db upgrade` loads shipped content: new entries are added, untouched ones follow the files, edits stay."""

from __future__ import annotations

from dataclasses import replace

from bot.platform.db import make_engine, make_session_factory
from knowledge import editing
from knowledge.entries import load_content
from knowledge.models import FaqEntry
from knowledge.store import seed_from_content


def test_a_release_refreshes_untouched_entries_but_never_a_staff_edit(db_url):
    engine = make_engine(db_url)
    factory = make_session_factory(engine)
    shipped = load_content()
    untouched, edited = shipped[0], shipped[1]
    with factory() as session:
        assert seed_from_content(session, shipped) == 0  # the template database already has them all
        data = editing.row_data(session.get(FaqEntry, edited.id))
        editing.publish(session, {**data, "answer": "職員が直した回答です。"}, "staff@example.org")
        session.commit()
    release = [
        replace(untouched, answer=untouched.answer + "（改訂）"),
        replace(edited, answer="新しい版の回答"),
        replace(untouched, id="new.entry"),
        *shipped[2:],
    ]
    with factory() as session:
        assert seed_from_content(session, release) == 2
        assert seed_from_content(session, release) == 0
        session.commit()
        assert session.get(FaqEntry, untouched.id).answer.endswith("（改訂）")
        assert session.get(FaqEntry, untouched.id).version == 2
        assert session.get(FaqEntry, edited.id).answer == "職員が直した回答です。"
        assert session.get(FaqEntry, "new.entry") is not None
    engine.dispose()
