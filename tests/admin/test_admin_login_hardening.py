"""Sign-in hardening from the security review: an atomic lock-out under parallel guesses (SQLite and PostgreSQL),
no hashing inside a transaction, a per-address limit, one answer for unknown/locked/wrong, and account lifecycle
(deactivation ends sessions for good; weak passwords are refused)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from admin.models import AdminUser
from admin.people import accounts, auth
from admin.people.login_limit import DEFAULT_ATTEMPTS
from bot.platform.db import utcnow
from tests.support.admin import PASSWORD, create_user, csrf_token, post_form

PARALLEL = 40


def client_at(app, address: str):
    """A browser at this client address."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def sign_in(client, email: str, password: str = PASSWORD):
    return post_form(client, "/admin/login", {"email": email, "password": password})


def flash_text(response) -> str:
    page = response.get_data(as_text=True)
    start = page.index('class="flash')
    return page[start : page.index("</", start)]


@pytest.fixture
def checks(monkeypatch):
    """Record every password check against a real account's hash (dummy checks are listed apart)."""
    seen = {"real": 0, "dummy": 0}
    original = accounts.verify_password
    lock = threading.Lock()

    def counting(password_hash: str, password: str) -> bool:
        with lock:
            seen["dummy" if password_hash == accounts.dummy_hash() else "real"] += 1
        return original(password_hash, password)

    monkeypatch.setattr(accounts, "verify_password", counting)
    return seen


def test_forty_parallel_wrong_passwords_check_only_five_against_the_account(app, factory, checks):
    user = create_user(app, "admin")
    clients = []
    for i in range(PARALLEL):  # every guess from its own address: the per-address limit is not what stops them
        client = client_at(app, f"10.0.{i // 200}.{i % 200 + 1}")
        clients.append((client, csrf_token(client)))
    barrier = threading.Barrier(PARALLEL)

    def guess(pair):
        client, token = pair
        barrier.wait()
        data = {"csrf_token": token, "email": user.email, "password": "guess-guess-guess"}
        return client.post("/admin/login", data=data).status_code

    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        statuses = list(pool.map(guess, clients))
    assert statuses == [401] * PARALLEL
    assert checks["real"] == accounts.MAX_FAILED_ATTEMPTS
    with factory() as session:
        assert accounts.is_locked(session.get(AdminUser, user.id), utcnow())


def test_the_password_is_checked_with_no_database_connection_held(app, monkeypatch):
    user = create_user(app, "staff")
    engine = app.extensions["madoguchi"].engine
    held = []
    original = accounts.verify_password

    def watching(password_hash: str, password: str) -> bool:
        held.append(engine.pool.checkedout())
        return original(password_hash, password)

    monkeypatch.setattr(accounts, "verify_password", watching)
    assert sign_in(app.test_client(), user.email).status_code == 302
    assert sign_in(app.test_client(), user.email, "wrong-wrong-wrong").status_code == 401
    assert sign_in(app.test_client(), "nobody@example.jp").status_code == 401
    assert held == [0, 0, 0]


def test_unknown_locked_and_wrong_get_the_same_answer_and_the_same_work(app, checks):
    user = create_user(app, "staff")
    wrong = sign_in(app.test_client(), user.email, "wrong-wrong-wrong")
    for _ in range(accounts.MAX_FAILED_ATTEMPTS - 1):
        sign_in(app.test_client(), user.email, "wrong-wrong-wrong")
    before = dict(checks)
    locked = sign_in(app.test_client(), user.email)  # the right password, on a locked account
    after_locked = dict(checks)
    unknown = sign_in(app.test_client(), "nobody@example.jp")
    assert {r.status_code for r in (wrong, locked, unknown)} == {401}
    assert flash_text(wrong) == flash_text(locked) == flash_text(unknown)
    assert sum(after_locked.values()) - sum(before.values()) == 1  # one hash check, like any other attempt
    assert sum(checks.values()) - sum(after_locked.values()) == 1


def test_one_address_is_limited_before_any_hashing_and_others_are_not(app, checks):
    user = create_user(app, "staff")
    flood = client_at(app, "203.0.113.9")
    for i in range(DEFAULT_ATTEMPTS):
        assert sign_in(flood, f"random{i}@example.jp").status_code == 401
    spent = sum(checks.values())
    refused = sign_in(flood, user.email)
    assert refused.status_code == 429 and sum(checks.values()) == spent
    elsewhere = client_at(app, "198.51.100.7")
    assert sign_in(elsewhere, user.email).status_code == 302


def test_reactivating_an_account_does_not_revive_its_old_session(app, as_role, admin_client):
    staff = as_role("staff")
    assert staff.get("/admin/").status_code == 200
    page = "/admin/users/"
    post_form(admin_client, f"/admin/users/{staff.user.id}", {"action": "deactivate"}, page=page)
    post_form(admin_client, f"/admin/users/{staff.user.id}", {"action": "activate"}, page=page)
    assert staff.get("/admin/").status_code == 302
    assert sign_in(app.test_client(), staff.user.email).status_code == 302


@pytest.mark.parametrize("password", ["password123", "Qwertyuiop", "1234567890", "staff-new@example.jp"])
def test_the_commonest_passwords_and_the_address_itself_are_refused(factory, password):
    with factory() as session, pytest.raises(accounts.AccountError):
        accounts.create_user(session, "staff-new@example.jp", "staff", password)


def test_the_password_form_refuses_the_address_as_the_new_password(staff):
    email = staff.user.email
    response = post_form(staff, "/admin/password", {"current": PASSWORD, "new": email, "confirm": email})
    assert response.status_code == 400 and "メールアドレスと同じ" in response.get_data(as_text=True)
    assert "ロック" not in flash_text(response)
    assert auth.FAILED_TEXT not in response.get_data(as_text=True)


def test_the_limit_comes_from_the_environment(app, monkeypatch):
    from bot.config import from_env

    monkeypatch.setitem(
        app.config, "ADMIN_LOGIN_ATTEMPTS", from_env({"ADMIN_LOGIN_ATTEMPTS": "2"})["ADMIN_LOGIN_ATTEMPTS"]
    )
    client = client_at(app, "192.0.2.1")
    assert [sign_in(client, "nobody@example.jp").status_code for _ in range(3)] == [401, 401, 429]
