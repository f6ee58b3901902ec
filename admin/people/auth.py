"""Sign-in, sign-out and password change pages, and who is signed in (the session holds id and a stamp)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for

from admin.models import AdminUser
from admin.people import accounts
from bot.platform.db import unit_of_work, utcnow
from bot.platform.services import services

bp = Blueprint("auth", __name__)
SESSION_KEYS = ("admin_uid", "admin_stamp", "admin_sid", "admin_since")
LOCKED_TEXT = "ログインに失敗が続いたため、しばらくロックしています。15分ほどしてからお試しください。"


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
    """The sign-in form; failures are counted and lock the account for a while after too many."""
    if request.method == "GET":
        return render_template("admin/login.html", next=request.args.get("next", ""))
    email = request.form.get("email", "").strip()
    password = request.form.get("password", "")
    with unit_of_work(services().session_factory) as db:
        result = accounts.authenticate(db, email, password, utcnow())
        action = "login" if result.user else f"login_failed:{result.reason}"
        accounts.record(db, result.user, action, target=email[:200], ip=request.remote_addr)
    if result.user is None:
        message = LOCKED_TEXT if result.reason == "locked" else "メールアドレスまたはパスワードが違います。"
        flash(message, "error")
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
    """Change one's own password (the current one is asked again)."""
    if request.method == "GET":
        return render_template("admin/password.html")
    form = request.form
    with unit_of_work(services().session_factory) as db:
        user = db.get(AdminUser, current_admin().id)
        now = utcnow()
        if accounts.is_locked(user, now):
            flash(LOCKED_TEXT, "error")
            return render_template("admin/password.html"), 400
        if not accounts.verify_password(user.password_hash, form.get("current", "")):
            locked = accounts.register_failure(user, now)  # guessing here counts like guessing at sign-in
            audit(db, "password_change_failed", user.email, {"locked": locked})
            if locked:  # whoever is guessing in this browser is signed out, too
                session.clear()
                flash(LOCKED_TEXT, "error")
                return redirect(url_for("admin.auth.login"))
            flash("現在のパスワードが違います。", "error")
            return render_template("admin/password.html"), 400
        if form.get("new", "") != form.get("confirm", ""):
            flash("新しいパスワードが確認欄と一致しません。", "error")
            return render_template("admin/password.html"), 400
        try:
            accounts.set_password(user, form.get("new", ""), utcnow())
        except accounts.AccountError as exc:
            flash(str(exc), "error")
            return render_template("admin/password.html"), 400
        audit(db, "password_change", user.email)
    _start_session(user)
    flash("パスワードを変更しました。", "info")
    return redirect(url_for("admin.home"))
