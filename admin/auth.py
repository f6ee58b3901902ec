"""Sign-in, sign-out and password change pages, and who is signed in (the session holds id and a stamp)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for

from admin import accounts
from admin.models import AdminUser
from bot.db import unit_of_work, utcnow
from bot.services import services

bp = Blueprint("auth", __name__)
SESSION_KEYS = ("admin_uid", "admin_stamp")


def current_admin() -> AdminUser | None:
    """The signed-in user of this request (set by the admin guard), or None."""
    return getattr(g, "admin_user", None)


def audit(db, action: str, target: str | None = None, detail: dict | None = None) -> None:
    """Record a change by the signed-in user in the caller's transaction (the guard then skips its own entry)."""
    accounts.record(db, current_admin(), action, target, detail, ip=request.remote_addr)
    g.audited = True


def load_user() -> AdminUser | None:
    """The user named by the session cookie, if still active and the password has not changed since."""
    uid = session.get("admin_uid")
    if not isinstance(uid, int):
        return None
    with services().session_factory() as db:
        user = db.get(AdminUser, uid)
    if user is None or not user.active or session.get("admin_stamp") != accounts.session_stamp(user):
        return None
    return user


def _start_session(user: AdminUser) -> None:
    session.clear()  # a fresh session on sign-in (no fixation); also renews the CSRF token
    session.permanent = True
    session["admin_uid"] = user.id
    session["admin_stamp"] = accounts.session_stamp(user)


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
        message = (
            "ログインに失敗が続いたため、しばらくロックしています。15分ほどしてからお試しください。"
            if result.reason == "locked"
            else "メールアドレスまたはパスワードが違います。"
        )
        flash(message, "error")
        return render_template("admin/login.html", next=request.form.get("next", ""), email=email), 401
    _start_session(result.user)
    return redirect(safe_next(request.form.get("next")))


@bp.post("/logout")
def logout():
    """Sign out (a POST with the CSRF token, so other sites cannot sign staff out)."""
    with unit_of_work(services().session_factory) as db:
        audit(db, "logout")
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
        if not accounts.verify_password(user.password_hash, form.get("current", "")):
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
