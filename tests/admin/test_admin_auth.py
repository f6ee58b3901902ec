"""Sign-in with argon2 hashes, lock-out after repeated failures, sign-out, password change, the `user` command."""

from __future__ import annotations

from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy import select

from admin.cli import user as user_command
from admin.models import AdminUser, AuditLog
from admin.people import accounts
from bot.platform.db import utcnow
from tests.support.admin import PASSWORD, create_user, csrf_token, make_admin_user, post_form


def sign_in(client, email, password=PASSWORD):
    return post_form(client, "/admin/login", {"email": email, "password": password})


def test_passwords_are_stored_as_argon2id_hashes(factory):
    with factory() as session:
        user = make_admin_user(session, "staff")
        assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash


def test_staff_sign_in_and_out(client, app):
    user = create_user(app, "staff")
    assert sign_in(client, user.email).headers["Location"] == "/admin/"
    assert client.get("/admin/faq/").status_code == 200
    assert post_form(client, "/admin/logout", page="/admin/").status_code == 302
    assert client.get("/admin/faq/").status_code == 302


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(client, app):
    user = create_user(app, "staff")
    wrong = sign_in(client, user.email, "not-the-password")
    unknown = sign_in(client, "nobody@example.jp")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "メールアドレスまたはパスワードが違います" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


def test_five_failures_lock_the_account_even_for_the_right_password(client, app, factory):
    user = create_user(app, "staff")
    for _ in range(accounts.MAX_FAILED_ATTEMPTS):
        sign_in(client, user.email, "guess-guess-guess")
    locked = sign_in(client, user.email)
    assert locked.status_code == 401 and "ロック" in locked.get_data(as_text=True)
    with factory() as session:
        stored = session.get(AdminUser, user.id)
        assert accounts.is_locked(stored, utcnow())
        actions = [a.action for a in session.scalars(select(AuditLog).where(AuditLog.target == user.email))]
    assert actions.count("login_failed:bad_credentials") == 4 and actions.count("login_failed:locked") == 2


def test_the_lock_ends_after_a_while(factory):
    now = utcnow()
    with factory() as session:
        user = make_admin_user(session, "staff")
        for _ in range(accounts.MAX_FAILED_ATTEMPTS):
            accounts.authenticate(session, user.email, "wrong-wrong", now)
        assert accounts.authenticate(session, user.email, PASSWORD, now).reason == "locked"
        later = now + timedelta(minutes=accounts.LOCK_MINUTES + 1)
        assert accounts.authenticate(session, user.email, PASSWORD, later).user is user
        assert user.failed_attempts == 0 and user.locked_until is None


def test_an_admin_unlocks_an_account(app, client, admin_client, factory):
    user = create_user(app, "staff")
    for _ in range(accounts.MAX_FAILED_ATTEMPTS):
        sign_in(client, user.email, "wrong-wrong")
    post_form(admin_client, f"/admin/users/{user.id}", {"action": "unlock"}, page="/admin/users/")
    assert sign_in(client, user.email).status_code == 302


def test_a_deactivated_account_cannot_sign_in_and_its_session_ends(app, as_role, admin_client):
    staff = as_role("staff")
    post_form(admin_client, f"/admin/users/{staff.user.id}", {"action": "deactivate"}, page="/admin/users/")
    assert staff.get("/admin/").status_code == 302
    assert sign_in(app.test_client(), staff.user.email).status_code == 401


def test_changing_the_password_ends_other_sessions(app, as_role):
    first = as_role("staff")
    second = app.test_client()
    assert sign_in(second, first.user.email).status_code == 302
    form = {"current": PASSWORD, "new": "a-brand-new-passphrase", "confirm": "a-brand-new-passphrase"}
    assert post_form(first, "/admin/password", form).status_code == 302
    assert first.get("/admin/").status_code == 200
    assert second.get("/admin/").status_code == 302
    assert sign_in(app.test_client(), first.user.email, "a-brand-new-passphrase").status_code == 302


def test_password_change_checks_the_current_password_and_the_rules(staff):
    bad_current = {"current": "nope", "new": "long-enough-pass", "confirm": "long-enough-pass"}
    too_short = {"current": PASSWORD, "new": "short", "confirm": "short"}
    assert post_form(staff, "/admin/password", bad_current).status_code == 400
    response = post_form(staff, "/admin/password", too_short)
    assert response.status_code == 400 and "10文字以上" in response.get_data(as_text=True)


def test_an_admin_adds_a_user_and_changes_a_role(admin_client, factory):
    form = {"email": "new@example.jp", "name": "新人", "role": "coordinator", "password": "first-password-1"}
    assert post_form(admin_client, "/admin/users/", form).status_code == 302
    with factory() as session:
        added = accounts.find_user(session, "new@example.jp")
        assert added.role == "coordinator"
    post_form(admin_client, f"/admin/users/{added.id}", {"action": "role", "role": "staff"}, page="/admin/users/")
    with factory() as session:
        assert session.get(AdminUser, added.id).role == "staff"
        log = session.scalars(select(AuditLog).where(AuditLog.action == "user.role")).one()
        assert log.actor_email == admin_client.user.email and log.detail == {"from": "coordinator", "to": "staff"}
    assert "user.role" in admin_client.get("/admin/users/audit").get_data(as_text=True)


def test_admins_cannot_demote_themselves(admin_client, factory):
    me = admin_client.user
    post_form(admin_client, f"/admin/users/{me.id}", {"action": "role", "role": "staff"}, page="/admin/users/")
    with factory() as session:
        assert session.get(AdminUser, me.id).role == "admin"


def cli(db_url, monkeypatch, args, given=""):
    monkeypatch.setenv("DATABASE_URL", db_url)
    return CliRunner().invoke(user_command, args, input=given)


def test_the_user_command_adds_lists_and_changes_passwords(app, db_url, monkeypatch, client):
    added = cli(db_url, monkeypatch, ["add", "--role", "admin", "Boss@Example.jp"], "first-pass-123\nfirst-pass-123\n")
    assert added.exit_code == 0, added.output
    assert "first-pass-123" not in added.output
    listed = cli(db_url, monkeypatch, ["list"])
    assert "boss@example.jp\tadmin" in listed.output
    changed = cli(db_url, monkeypatch, ["passwd", "boss@example.jp"], "second-pass-123\nsecond-pass-123\n")
    assert changed.exit_code == 0, changed.output
    assert sign_in(client, "boss@example.jp", "second-pass-123").status_code == 302


def test_the_user_command_refuses_mismatched_or_short_passwords(db_url, monkeypatch):
    mismatch = cli(db_url, monkeypatch, ["add", "--role", "staff", "a@example.jp"], "one-password-1\ntwo-password-2\n")
    assert mismatch.exit_code != 0
    short = cli(db_url, monkeypatch, ["add", "--role", "staff", "a@example.jp"], "short\nshort\n")
    assert short.exit_code == 1 and "10文字以上" in short.output
    bad_role = cli(db_url, monkeypatch, ["add", "--role", "root", "a@example.jp"])
    assert bad_role.exit_code == 2


def test_the_login_form_token_is_renewed_after_sign_in(client, app):
    user = create_user(app, "staff")
    before = csrf_token(client)
    sign_in(client, user.email)
    assert csrf_token(client, "/admin/") != before
