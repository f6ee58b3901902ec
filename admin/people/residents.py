"""Residents' data on request (admins only): find a resident, download everything held, or erase it.

Searching is a POST so LINE ids and names stay out of URLs and access logs. Erasure is a POST with a
confirmation box; both the download and the erasure are audit-logged under the internal id only.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select

from admin.people.auth import audit, current_admin
from bot.booking.models import Booking
from bot.booking.settings import booking_settings
from bot.handoff.models import Handoff
from bot.platform.db import unit_of_work
from bot.platform.models import LineUser, Message
from bot.platform.services import services
from bot.privacy.anonymise import ANONYMOUS_LINE_ID
from bot.privacy.export import export_resident
from bot.privacy.forget import forget_resident

bp = Blueprint("residents", __name__, url_prefix="/residents")
MAX_RESULTS = 20


@bp.get("/")
def index():
    """The search form."""
    return render_template("admin/residents.html", query="", results=None)


@bp.post("/")
def search():
    """Residents by exact LINE user id, or by a part of their LINE display name."""
    query = request.form.get("q", "").strip()[:200]
    results = []
    if query:
        match = (LineUser.line_user_id == query) | LineUser.display_name.contains(query, autoescape=True)
        with services().session_factory() as db:
            rows = db.scalars(
                select(LineUser)
                .where(match, LineUser.line_user_id != ANONYMOUS_LINE_ID)
                .order_by(LineUser.id.desc())
                .limit(MAX_RESULTS)
            ).all()
            results = [(u, _counts(db, u.id)) for u in rows]
    return render_template("admin/residents.html", query=query, results=results)


def _resident(db, user_id: int) -> LineUser:
    user = db.get(LineUser, user_id)
    if user is None or user.line_user_id == ANONYMOUS_LINE_ID:
        abort(404)
    return user


def _counts(db, user_id: int) -> dict[str, int]:
    def count(model) -> int:
        return db.scalar(select(func.count()).select_from(model).where(model.user_id == user_id)) or 0

    return {"messages": count(Message), "bookings": count(Booking), "handoffs": count(Handoff)}


@bp.get("/<int:user_id>")
def show(user_id: int):
    """One resident: what is held, the download, and the erasure form."""
    with services().session_factory() as db:
        user = _resident(db, user_id)
        last = db.scalar(select(func.max(Message.created_at)).where(Message.user_id == user_id))
        return render_template("admin/resident.html", user=user, counts=_counts(db, user_id), last=last)


@bp.get("/<int:user_id>/export.json")
def export(user_id: int):
    """Everything held about the resident, as a JSON file (the download is audit-logged)."""
    svc = services()
    with unit_of_work(svc.session_factory) as db:
        user = _resident(db, user_id)
        data = export_resident(db, user.line_user_id, svc.context.clock())
        audit(db, "resident.export", f"resident #{user_id}", {})
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="resident-{user_id}.json"'},
    )


@bp.post("/<int:user_id>/forget")
def forget(user_id: int):
    """Erase the resident after the confirmation box was ticked (future bookings are cancelled)."""
    if request.form.get("confirm") != "yes":
        flash("削除する場合は、確認のチェックを入れてください。", "error")
        return redirect(url_for(".show", user_id=user_id))
    svc = services()
    with unit_of_work(svc.session_factory) as db:
        user = _resident(db, user_id)
        settings = booking_settings(db, tuple(svc.context.profile.closures))
        counts = forget_resident(db, user.line_user_id, svc.context.clock(), settings, by=current_admin().id)
        audit(db, "resident.forget", f"resident #{user_id}", counts)
    flash(f"利用者 #{user_id} の記録を削除しました（予約のキャンセル {counts.get('seats_freed', 0)}件）。", "info")
    return redirect(url_for(".index"))
