"""Undeliverable messages (dead outbox items) for admins: what failed and why, and a retry button."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from sqlalchemy import func, select

from admin.people.auth import audit
from bot.line.delivery import revive
from bot.line.messages import visible_text
from bot.platform.db import unit_of_work
from bot.platform.models import LineUser, OutboxItem
from bot.platform.services import services

bp = Blueprint("outbox", __name__, url_prefix="/outbox")
PAGE = 200


@bp.get("/")
def index():
    """Dead items, newest first, with the resident, the text, attempts and LINE's error; plus what is pending."""
    with services().session_factory() as db:
        rows = db.execute(
            select(OutboxItem, LineUser.display_name)
            .join(LineUser, LineUser.id == OutboxItem.user_id)
            .where(OutboxItem.status == "dead")
            .order_by(OutboxItem.id.desc())
            .limit(PAGE)
        ).all()
        pending = db.scalar(select(func.count(OutboxItem.id)).where(OutboxItem.status == "pending"))
        retrying = db.scalar(
            select(func.count(OutboxItem.id)).where(OutboxItem.status == "pending", OutboxItem.attempts > 0)
        )
    items = [
        {
            "item": item,
            "name": name or f"…{item.line_user_id[-6:]}",
            "text": " / ".join(visible_text(m) for m in item.messages)[:300],
        }
        for item, name in rows
    ]
    return render_template("admin/outbox.html", items=items, pending=pending, retrying=retrying)


@bp.post("/<int:item_id>/retry")
def retry(item_id: int):
    """Send a dead item again now (same retry key: LINE drops it if a push of it was accepted in the last 24 h)."""
    with unit_of_work(services().session_factory) as db:
        if db.get(OutboxItem, item_id) is None:
            abort(404)
        revived = revive(db, item_id)
        if revived:
            audit(db, "outbox.retry", str(item_id))
    if not revived:
        flash("このメッセージは送信不能の状態ではありません（すでに再送済みの可能性があります）。", "error")
        return redirect(url_for(".index"))
    services().sender.submit([item_id])
    flash(f"メッセージ #{item_id} を再送しました。結果はこの画面と相談履歴で確認できます。", "info")
    return redirect(url_for(".index"))
