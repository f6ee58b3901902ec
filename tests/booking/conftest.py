"""Booking fixtures: a session factory on a fresh database, the default types, residents and a frozen clock."""

from __future__ import annotations

import pytest

from bot.platform.db import make_engine, make_session_factory
from tests.support.postgres import pg_cluster, pg_url  # noqa: F401  (fixtures for the PostgreSQL variants)


@pytest.fixture
def factory(db_url):
    """Session factory on this test's fresh SQLite database."""
    engine = make_engine(db_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture(autouse=True)
def no_booking_data(db_url):
    """Each test starts without slots or bookings, whatever the shared template database was seeded with."""
    engine = make_engine(db_url)
    with engine.begin() as conn:
        for table in ("waitlist_entries", "bookings", "slots"):
            conn.exec_driver_sql(f"DELETE FROM {table}")  # noqa: S608 (fixed table names)
    engine.dispose()
