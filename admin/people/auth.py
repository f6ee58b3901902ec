"""Sign-in, sign-out and password change pages, and who is signed in (the session holds id and a stamp)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for

from admin.models import AdminUser
from admin.people import accounts
from admin.people.login_limit import login_limit
from bot.platform.db import unit_of_work, utcnow
from bot.platform.services import services

bp = Blueprint("auth", __name__)
SESSION_KEYS = ("admin_uid", "admin_stamp", "admin_sid", "admin_since")
LOCKED_TEXT = "ログインに失敗が続いたため、しばらくロックしています。15分ほどしてからお試しください。"
# Every refused sign-in shows this one text: whether the address exists or is locked is never revealed.
FAILED_TEXT = (
    "メールアドレスまたはパスワードが違います。失敗が続いたアカウントは15分ほどロックされます"
    "（そのあいだは正しいパスワードでも入れません）。"
)
TOO_MANY_TEXT = "ログインの試行が多すぎます。しばらくしてからお試しください。"


def current_admin() -> AdminUser | None:
    """The signed-in user of this request (set by the admin guard), or None."""
    return getattr(g, "admin_user", None)


def audit(db, action: str, target: str | None = None, detail: dict | None = None) -> None:
    """Record a change by the signed-in user in the caller's transaction (the guard then skips its own entry)."""
    accounts.record(db, current_admin(), action, target, detail, ip=request.remote_addr)
    g.audited = True


def load_user() -> AdminUser | None:
    """The user named by the session cookie, if still active, the password unchanged and not signed out since."""
    uid, sid, since = session.get("admin_uid"), session.get("admin_sid"), session.get("admin_since")
    if not isinstance(uid, int) or not isinstance(sid, str) or not isinstance(since, int):
        return None
    with services().session_factory() as db:
        user = db.get(AdminUser, uid)
        if user is None or not user.active or session.get("admin_stamp") != accounts.session_stamp(user):
            return None
        signed_in_at = datetime.fromtimestamp(since, UTC) - timedelta(minutes=5)  # other workers' clocks
        if accounts.session_signed_out(db, uid, sid, signed_in_at):
            return None
    return user


def _start_session(user: AdminUser) -> None:
    session.clear()  # a fresh session on sign-in (no fixation); also renews the CSRF token
    session.permanent = True
    session["admin_uid"] = user.id
    session["admin_stamp"] = accounts.session_stamp(user)
    session["admin_sid"] = secrets.token_urlsafe(16)  # names this sign-in, so signing out can end it for good
    session["admin_since"] = int(utcnow().timestamp())


def safe_next(target: str | None) -> str:
    """Where to go after signing in: only a path inside the admin, never another site."""
    default = url_for("admin.home")
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/admin") or target.startswith("//"):
        return default
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The sign-in form: one text for every refusal (wrong, unknown or locked), the password checked outside any
    transaction, and a per-address limit on attempts before any hashing."""
    if request.method == "GET":
        return render_template("admin/login.html", next=request.args.get("next", ""))
    email = request.form.get("email", "").strip()
    password = request.form.get("password", "")
    if not login_limit().allow(request.remote_addr):
        flash(TOO_MANY_TEXT, "error")
        return render_template("admin/login.html", next=request.form.get("next", ""), email=email), 429
    factory = services().session_factory
    with unit_of_work(factory) as db:  # short: count the attempt under a row lock
        attempt = accounts.begin_attempt(db, email, utcnow())
    ok = accounts.verify_password(attempt.password_hash, password)  # the slow part holds no lock
    with unit_of_work(factory) as db:
        result = accounts.finish_attempt(db, attempt, password, ok, utcnow())
        action = "login" if result.user else f"login_failed:{result.reason}"
        accounts.record(db, result.user, action, target=email[:200], ip=request.remote_addr)
    if result.user is None:
        flash(FAILED_TEXT, "error")
        return render_template("admin/login.html", next=request.form.get("next", ""), email=email), 401
    _start_session(result.user)
    return redirect(safe_next(request.form.get("next")))


@bp.post("/logout")
def logout():
    """Sign out (a POST with the CSRF token, so other sites cannot sign staff out)."""
    with unit_of_work(services().session_factory) as db:
        audit(db, "logout", accounts.logout_target(session.get("admin_sid", "")))
    session.clear()
    flash("ログアウトしました。", "info")
    return redirect(url_for("admin.auth.login"))


@bp.route("/password", methods=["GET", "POST"])
def password():
    """Change one's own password (the current one is asked again, and counted like a sign-in attempt)."""
    if request.method == "GET":
        return render_template("admin/password.html")
    form, factory, uid = request.form, services().session_factory, current_admin().id
    with unit_of_work(factory) as db:
        attempt = accounts.reserve_attempt(db.get(AdminUser, uid, with_for_update=True), utcnow())
    if attempt.user_id is None:
        flash(LOCKED_TEXT, "error")
        return render_template("admin/password.html"), 400
    if not accounts.verify_password(attempt.password_hash, form.get("current", "")):
        with unit_of_work(factory) as db:
            audit(db, "password_change_failed", current_admin().email, {"locked": attempt.last_try})
        if attempt.last_try:  # whoever is guessing in this browser is signed out, too
            session.clear()
            flash(LOCKED_TEXT, "error")
            return redirect(url_for("admin.auth.login"))
        flash("現在のパスワードが違います。", "error")
        return render_template("admin/password.html"), 400
    new = form.get("new", "")
    try:
        if new != form.get("confirm", ""):
            raise accounts.AccountError("新しいパスワードが確認欄と一致しません。")
        accounts.check_password_rules(new, current_admin().email)
    except accounts.AccountError as exc:
        with unit_of_work(factory) as db:  # the current password was right: its check does not count
            accounts.clear_failures(db.get(AdminUser, uid, with_for_update=True))
        flash(str(exc), "error")
        return render_template("admin/password.html"), 400
    new_hash = accounts.hash_password(new)
    with unit_of_work(factory) as db:
        user = db.get(AdminUser, uid, with_for_update=True)
        accounts.set_password_hash(user, new_hash, utcnow())
        audit(db, "password_change", user.email)
    _start_session(user)
    flash("パスワードを変更しました。", "info")
    return redirect(url_for("admin.home"))
