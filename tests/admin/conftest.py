"""Admin fixtures: a test client, the app's session factory, signed-in clients per role."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from admin.people import accounts
from tests.support.admin import login_as
from tests.support.browser import browser_context, page, record_reports  # noqa: F401 (fixtures for the browser tests)


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch):
    """Argon2 with minimal cost in tests (the real cost is ~0.2 s per hash); the code paths are the same."""
    monkeypatch.setattr(accounts, "HASHER", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture
def client(app):
    """An anonymous browser (Flask test client) on the app."""
    return app.test_client()


@pytest.fixture
def factory(app):
    """The app's session factory."""
    return app.extensions["madoguchi"].session_factory


@pytest.fixture
def as_role(app):
    """as_role('staff') → a new test client signed in with a new account of that role."""

    def make(role: str):
        client = app.test_client()
        client.user = login_as(client, role)
        return client

    return make


@pytest.fixture
def staff(as_role):
    """A signed-in staff member."""
    return as_role("staff")


@pytest.fixture
def admin_client(as_role):
    """A signed-in admin."""
    return as_role("admin")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Let fixtures see whether the test failed (for screenshots of failing browser tests)."""
    outcome = yield
    record_reports(item, call, outcome)
