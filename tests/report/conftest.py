"""Report fixtures: a session factory on a fresh database holding four months of activity."""

from __future__ import annotations

import pytest

from bot.platform.db import make_engine, make_session_factory
from tests.report.data import make_months


@pytest.fixture
def factory(db_url):
    """Session factory on this test's fresh database."""
    engine = make_engine(db_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def seeded(factory):
    """The database with November 2026 and the three months before it filled in (see tests/report/data.py)."""
    with factory() as session:
        make_months(session)
        session.commit()
    return factory
