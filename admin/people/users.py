"""Admins manage staff accounts (add, role, unlock, new password, deactivate) and read the audit log."""

from __future__ import annotations

import json

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from admin.models import ROLES, AdminUser, AuditLog
from admin.people import accounts
from admin.people.auth import audit, current_admin
from bot.platform.db import unit_of_work, utcnow
from bot.platform.services import services

bp = Blueprint("users", __name__, url_prefix="/users")
AUDIT_PAGE = 200


@bp.get("/")
def index():
    """Every account with its role and state."""
    with services().session_factory() as db:
        users = list(db.scalars(select(AdminUser).order_by(AdminUser.email)))
    return render_template("admin/users.html", users=users, roles=ROLES, now=utcnow())


@bp.post("/")
def add():
    """Add an account with a first password (the person changes it after signing in)."""
    form = request.form
    try:
        with unit_of_work(services().session_factory) as db:
            user = accounts.create_user(db, form.get("email", ""), form.get("role", ""), form.get("password", ""))
            user.name = form.get("name", "").strip() or None
            audit(db, "user.add", user.email, {"role": user.role})
    except accounts.AccountError as exc:
        flash(str(exc), "error")
        return redirect(url_for(".index"))
    flash(f"{user.email} を追加しました。", "info")
    return redirect(url_for(".index"))


@bp.post("/<int:user_id>")
def change(user_id: int):
    """One change to an account: role, unlock, new password, or (de)activation."""
    action = request.form.get("action", "")
    me = current_admin()
    if user_id == me.id and action in ("role", "deactivate"):
        flash("自分の役割の変更や無効化はできません（ほかの管理者に依頼してください）。", "error")
        return redirect(url_for(".index"))
    try:
        with unit_of_work(services().session_factory) as db:
            user = db.get(AdminUser, user_id) or abort(404)
            detail = _apply(user, action, request.form)
            audit(db, f"user.{action}", user.email, detail)
    except accounts.AccountError as exc:
        flash(str(exc), "error")
        return redirect(url_for(".index"))
    flash(f"{user.email} を更新しました。", "info")
    return redirect(url_for(".index"))


def _apply(user: AdminUser, action: str, form) -> dict:
    if action == "role":
        role = form.get("role", "")
        if role not in ROLES:
            raise accounts.AccountError("役割を選んでください。")
        before, user.role = user.role, role
        return {"from": before, "to": role}
    if action == "unlock":
        user.failed_attempts, user.locked_until = 0, None
        return {}
    if action == "password":
        accounts.set_password(user, form.get("password", ""), utcnow())
        return {}
    if action == "deactivate":
        accounts.deactivate(user)
        return {}
    if action == "activate":
        user.active = True
        return {}
    abort(400)


@bp.get("/audit")
def audit_log():
    """The latest audit entries, optionally for one action prefix or one person."""
    action, actor = request.args.get("action", ""), request.args.get("actor", "")
    query = select(AuditLog).order_by(AuditLog.created_at.desc(), AuditLog.id.desc()).limit(AUDIT_PAGE)
    if action:
        query = query.where(AuditLog.action.startswith(action, autoescape=True))
    if actor:
        query = query.where(AuditLog.actor_email == actor)
    with services().session_factory() as db:
        entries = list(db.scalars(query))
    return render_template(
        "admin/audit.html",
        entries=entries,
        action=action,
        actor=actor,
        as_json=lambda v: json.dumps(v, ensure_ascii=False),
    )
