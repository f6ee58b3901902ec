"""Abuse of the admin: password guessing, forged requests, stolen or planted session cookies, and reaching past one's
role (screens, actions, and conversations assigned to another coordinator)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import url_for
from sqlalchemy import func, select

import admin.people.auth
from admin import ACCESS, PUBLIC_ENDPOINTS
from admin.models import AdminUser, AuditLog
from admin.people import accounts
from bot.app import create_app
from bot.handoff.models import Handoff, InternalNote
from bot.platform.db import utcnow
from bot.platform.models import Conversation, LineUser, OutboxItem
from tests.support.admin import PASSWORD, create_user, csrf_token, post_form

SAMPLE = {"faq_id": "founding.npo_steps", "version": 1, "code": "general", "name": "daily"}
LOCKED = "ロック"


def sign_in(client, email: str, password: str = PASSWORD):
    return post_form(client, "/admin/login", {"email": email, "password": password})


def signed_in(client) -> bool:
    return client.get("/admin/").status_code == 200


def session_cookie(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def client_with_cookie(app, value: str):
    client = app.test_client()
    client.set_cookie("session", value)
    return client


def audit_actions(factory) -> list[str]:
    with factory() as session:
        return list(session.scalars(select(AuditLog.action).order_by(AuditLog.id)))


def _admin_rules(method: str) -> list[tuple[str, str]]:
    """(url, endpoint) of every guarded admin URL taking `method`, with sample values for its parameters."""
    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SEND_ASYNC": False})
    try:
        with app.test_request_context():
            rules = []
            for rule in app.url_map.iter_rules():
                if rule.rule.startswith("/admin") and method in rule.methods and rule.endpoint not in PUBLIC_ENDPOINTS:
                    values = {arg: SAMPLE.get(arg, 1) for arg in rule.arguments}
                    rules.append((url_for(rule.endpoint, **values), rule.endpoint))
            return sorted(rules)
    finally:
        app.extensions["madoguchi"].engine.dispose()


GUARDED_POSTS = _admin_rules("POST")
GUARDED_GETS = _admin_rules("GET")


def roles_for(endpoint: str, write: bool) -> frozenset:
    """The roles the admin guard lets read (or change) through this endpoint."""
    read, change = ACCESS.get(endpoint.rsplit(".", 1)[0], (frozenset({"admin"}), frozenset({"admin"})))
    return change if write else read


# --- password guessing ---------------------------------------------------------------------------------------


def test_guessing_from_many_browsers_and_spellings_locks_the_account(app, factory):
    user = create_user(app, "admin")
    spellings = [user.email, user.email.upper(), f"  {user.email}  ", user.email.title(), user.email]
    for spelling in spellings:  # a new browser (cookie jar) each time: the lock is on the account
        assert sign_in(app.test_client(), spelling, "guess-guess-guess").status_code == 401
    locked = sign_in(app.test_client(), user.email)
    assert locked.status_code == 401 and LOCKED in locked.get_data(as_text=True)
    assert "login" not in audit_actions(factory)


def test_the_lock_lasts_its_time_then_the_right_password_works(app, monkeypatch):
    user = create_user(app, "staff")
    for _ in range(accounts.MAX_FAILED_ATTEMPTS):
        sign_in(app.test_client(), user.email, "guess-guess-guess")
    later = utcnow() + timedelta(minutes=accounts.LOCK_MINUTES - 1)
    monkeypatch.setattr(admin.auth, "utcnow", lambda: later)
    assert sign_in(app.test_client(), user.email).status_code == 401
    much_later = utcnow() + timedelta(minutes=accounts.LOCK_MINUTES + 1)
    monkeypatch.setattr(admin.auth, "utcnow", lambda: much_later)
    assert sign_in(app.test_client(), user.email).status_code == 302


def test_guessing_unknown_accounts_looks_like_a_wrong_password_and_locks_nobody(app, factory):
    user = create_user(app, "staff")
    client = app.test_client()
    for i in range(12):
        response = sign_in(client, f"nobody{i % 3}@example.jp", PASSWORD)
        assert response.status_code == 401 and "メールアドレスまたはパスワードが違います" in response.get_data(
            as_text=True
        )
    assert sign_in(client, user.email).status_code == 302


def test_guessing_the_current_password_on_the_password_form_locks_the_account_and_ends_the_session(app, as_role):
    stolen = as_role("staff")  # someone who has a signed-in browser, but not the password
    for i in range(accounts.MAX_FAILED_ATTEMPTS - 1):
        form = {"current": f"guess-{i}-guess", "new": "taken-over-passphrase", "confirm": "taken-over-passphrase"}
        assert post_form(stolen, "/admin/password", form).status_code == 400
    form = {"current": "last-guess-guess", "new": "taken-over-passphrase", "confirm": "taken-over-passphrase"}
    response = post_form(stolen, "/admin/password", form)
    assert response.status_code == 302 and response.headers["Location"] == "/admin/login"
    assert not signed_in(stolen)
    locked = sign_in(app.test_client(), stolen.user.email)
    assert locked.status_code == 401 and LOCKED in locked.get_data(as_text=True)


# --- forged requests (CSRF) ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "endpoint"), GUARDED_POSTS, ids=[e for _u, e in GUARDED_POSTS])
def test_every_state_changing_form_refuses_a_missing_forged_or_foreign_token(app, factory, admin_client, url, endpoint):
    foreign = csrf_token(app.test_client())  # a real token, of another (anonymous) session
    attempts = [
        {},
        {"csrf_token": ""},
        {"csrf_token": "forged"},
        {"csrf_token": foreign},
        {"csrf_token": foreign[:-4] + "AAAA"},
    ]
    for data in attempts:
        response = admin_client.post(url, data={**data, "action": "deactivate", "text": "x", "outcome": "answered"})
        assert response.status_code == 400, (endpoint, data, response.status_code)
    header = admin_client.post(url, data={"text": "x"}, headers={"X-CSRFToken": foreign})
    assert header.status_code == 400
    assert audit_actions(factory) == ["login"]  # nothing was changed
    assert signed_in(admin_client)


def test_sign_out_needs_the_token_too(staff):
    assert staff.post("/admin/logout").status_code == 400
    assert signed_in(staff)


# --- session fixation and stolen cookies ---------------------------------------------------------------------


def test_signing_in_issues_a_new_session_cookie_and_the_old_one_stays_anonymous(app):
    user = create_user(app, "staff")
    client = app.test_client()
    csrf_token(client)  # the login page puts a CSRF token in the pre-login session
    before = session_cookie(client)
    assert sign_in(client, user.email).status_code == 302
    after = session_cookie(client)
    assert after != before
    assert not signed_in(client_with_cookie(app, before))
    assert signed_in(client_with_cookie(app, after))


def test_a_cookie_planted_before_the_victim_signs_in_does_not_become_the_victims_session(app):
    victim = create_user(app, "admin")
    attacker = app.test_client()
    csrf_token(attacker)
    planted = session_cookie(attacker)
    browser = client_with_cookie(app, planted)  # e.g. set through a sibling subdomain
    assert sign_in(browser, victim.email).status_code == 302
    assert session_cookie(browser) != planted
    assert signed_in(browser)
    assert not signed_in(attacker)
    assert attacker.get("/admin/users/").status_code == 302


def test_a_copied_session_cookie_stops_working_after_sign_out(app, staff):
    copied = session_cookie(staff)
    assert signed_in(client_with_cookie(app, copied))
    assert post_form(staff, "/admin/logout", page="/admin/").status_code == 302
    assert not signed_in(staff)
    thief = client_with_cookie(app, copied)
    assert not signed_in(thief)
    assert thief.get("/admin/faq/").status_code == 302


def test_signing_out_ends_only_that_session(app, staff):
    other_browser = app.test_client()
    assert sign_in(other_browser, staff.user.email).status_code == 302
    post_form(staff, "/admin/logout", page="/admin/")
    assert signed_in(other_browser)


def test_a_tampered_session_cookie_is_anonymous(app, staff):
    value = session_cookie(staff)
    for forged in (value[:-2] + ("AA" if not value.endswith("AA") else "BB"), "eyJhZG1pbl91aWQiOjF9.x.y", ""):
        assert not signed_in(client_with_cookie(app, forged))


# --- roles: screens and actions beyond one's role ------------------------------------------------------------


@pytest.mark.parametrize("role", ["coordinator", "staff"])
def test_no_screen_or_export_outside_the_role_opens(as_role, role):
    client = as_role(role)
    refused = [(url, e) for url, e in GUARDED_GETS if role not in roles_for(e, write=False)]
    assert refused, role
    for url, endpoint in refused:
        assert client.get(url).status_code == 403, endpoint


@pytest.mark.parametrize("role", ["coordinator", "staff"])
def test_no_change_outside_the_role_is_accepted_even_with_a_valid_token(as_role, factory, role):
    client = as_role(role)
    token = csrf_token(client, "/admin/")
    refused = [(url, e) for url, e in GUARDED_POSTS if role not in roles_for(e, write=True)]
    assert refused, role
    for url, endpoint in refused:
        form = {"csrf_token": token, "action": "role", "role": "admin", "push_monthly_budget": "9", "status": "closed"}
        assert client.post(url, data=form).status_code == 403, endpoint
    assert audit_actions(factory) == ["login"]


@pytest.mark.parametrize("role", ["coordinator", "staff"])
def test_nobody_but_an_admin_can_raise_their_own_role(as_role, factory, role):
    client = as_role(role)
    form = {"action": "role", "role": "admin"}
    assert post_form(client, f"/admin/users/{client.user.id}", form, page="/admin/").status_code == 403
    add = {"email": "mine@example.jp", "role": "admin", "password": "a-long-enough-one"}
    assert post_form(client, "/admin/users/", add, page="/admin/").status_code == 403
    with factory() as session:
        assert session.get(AdminUser, client.user.id).role == role
        assert session.scalar(select(func.count()).select_from(AdminUser)) == 1


def test_booking_changes_need_staff_and_only_redirect_inside_the_admin(app, as_role):
    coordinator, staff = as_role("coordinator"), as_role("staff")
    form = {"status": "attended", "back": "https://evil.example/phish"}
    assert post_form(coordinator, "/admin/booking/bookings/1/status", form, page="/admin/").status_code == 403
    response = post_form(staff, "/admin/booking/bookings/1/status", form, page="/admin/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/admin/")
    inside = post_form(
        staff, "/admin/booking/bookings/1/status", {**form, "back": "/admin/booking/bookings?q=x"}, page="/admin/"
    )
    assert inside.headers["Location"] == "/admin/booking/bookings?q=x"


# --- the console: a conversation assigned to another coordinator ---------------------------------------------


def handoff_assigned_to(factory, admin_id: int | None) -> int:
    with factory() as session:
        user = LineUser(line_user_id="U" + "7" * 32)
        session.add(user)
        session.flush()
        session.add(Conversation(user_id=user.id, slots={}, mode="human" if admin_id else "waiting"))
        status = "assigned" if admin_id else "waiting"
        handoff = Handoff(user_id=user.id, reason="asked", status=status, assigned_to=admin_id, summary={})
        if admin_id:
            handoff.assigned_at = utcnow()
        session.add(handoff)
        session.commit()
        return handoff.id


CONSOLE_ACTIONS = [
    ("reply", {"text": "横から失礼します"}),
    ("kb", {"faq_id": "founding.npo_steps"}),
    ("booking", {}),
    ("return", {}),
    ("close", {"outcome": "answered", "notify": "1"}),
    ("oa", {"on": "1"}),
]


@pytest.mark.parametrize(("action", "form"), CONSOLE_ACTIONS, ids=[a for a, _f in CONSOLE_ACTIONS])
def test_a_coordinator_cannot_act_on_a_conversation_assigned_to_another(as_role, factory, action, form):
    owner, other = as_role("coordinator"), as_role("coordinator")
    handoff_id = handoff_assigned_to(factory, owner.user.id)
    token = csrf_token(other, "/admin/")
    response = other.post(
        f"/admin/console/c/{handoff_id}/{action}",
        data={"csrf_token": token, **form},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 409
    assert "引き継ぐ" in response.get_json()["error"]
    with factory() as session:
        handoff = session.get(Handoff, handoff_id)
        assert (handoff.status, handoff.assigned_to, handoff.oa_manager) == ("assigned", owner.user.id, False)
        assert session.scalar(select(func.count()).select_from(OutboxItem)) == 0


def test_taking_over_is_explicit_and_then_the_new_coordinator_may_act(as_role, factory):
    owner, other = as_role("coordinator"), as_role("coordinator")
    handoff_id = handoff_assigned_to(factory, owner.user.id)
    token = csrf_token(other, "/admin/")
    url = f"/admin/console/c/{handoff_id}"
    json = {"Accept": "application/json"}
    assert other.post(f"{url}/take", data={"csrf_token": token}, headers=json).status_code == 409
    assert other.post(f"{url}/notes", data={"csrf_token": token, "text": "見ました"}, headers=json).status_code == 200
    assert other.post(f"{url}/take", data={"csrf_token": token, "take_over": "1"}, headers=json).status_code == 200
    assert (
        other.post(f"{url}/reply", data={"csrf_token": token, "text": "担当が替わりました"}, headers=json).status_code
        == 200
    )
    owner_token = csrf_token(owner, "/admin/")
    back = owner.post(f"{url}/reply", data={"csrf_token": owner_token, "text": "まだ私です"}, headers=json)
    assert back.status_code == 409  # the previous owner now has to take it back explicitly
    with factory() as session:
        assert session.get(Handoff, handoff_id).assigned_to == other.user.id
        assert session.scalar(select(func.count()).select_from(InternalNote)) == 1
        assert session.scalar(select(func.count()).select_from(OutboxItem)) == 1


def test_a_waiting_conversation_is_anyones_to_answer(as_role, factory):
    coordinator = as_role("coordinator")
    handoff_id = handoff_assigned_to(factory, None)
    response = post_form(
        coordinator, f"/admin/console/c/{handoff_id}/reply", {"text": "お待たせしました"}, page="/admin/"
    )
    assert response.status_code == 302
    with factory() as session:
        assert session.get(Handoff, handoff_id).assigned_to == coordinator.user.id
