"""Coordinator console: the hand-off queue, one conversation with its history, replies, quick actions, notes.

Registered by the admin package under its login guard (coordinator, staff and admin roles); the views add no
authentication of their own. Pages poll small JSON endpoints every 1.5 s, so new messages appear without
reloading; a fragment is re-sent only when its content changed.
"""

from __future__ import annotations

import hashlib
import importlib
from datetime import datetime
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, g, jsonify, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError, generate_csrf, validate_csrf
from sqlalchemy import select
from wtforms import ValidationError

from bot.handoff import actions, service
from bot.handoff.models import CONSOLE_OUTCOMES, OUTCOMES, Handoff
from bot.handoff.queue import REASON_JA, TOKYO, VIEWS, history, push_usage, queue, queue_counts
from bot.handoff.readable import intent_label, slot_items
from bot.handoff.service import HandoffError
from bot.platform.db import unit_of_work
from bot.platform.models import Message
from bot.platform.services import services

ADMIN_DIR = Path(__file__).resolve().parents[1]  # the admin's templates and static files
bp = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder=str(ADMIN_DIR / "templates"),
    static_folder=str(ADMIN_DIR / "static"),
    static_url_path="/static",
)
STATUS_JA = {"waiting": "対応待ち", "assigned": "対応中", "closed": "終了"}
MODE_JA = {"bot": "ボット", "waiting": "対応待ち", "human": "担当者", "oa_manager": "OA Managerで対応中"}
VIEW_JA = {"waiting": "対応待ち", "mine": "自分の担当", "others": "ほかの担当者", "closed": "終了"}


def me():
    """The signed-in admin user (admin.auth.current_admin, i.e. flask.g.admin_user); 403 without one."""
    try:
        user = importlib.import_module("admin.auth").current_admin()
    except (ImportError, AttributeError):  # before the admin package provides it
        user = None
    user = user or getattr(g, "admin_user", None)
    if user is None:
        abort(403)
    return user


@bp.before_request
def _check_csrf() -> None:
    """Every POST carries a CSRF token (form field or X-CSRFToken), even if the app has no CSRFProtect."""
    if request.method != "POST" or "csrf" in current_app.extensions:
        return
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    try:
        validate_csrf(request.form.get("csrf_token") or request.headers.get("X-CSRFToken"))
    except (ValidationError, CSRFError):
        abort(400, "CSRF token missing or invalid")


@bp.context_processor
def _template_values() -> dict:
    return {
        "csrf_token": generate_csrf,
        "fmt": fmt,
        "STATUS_JA": STATUS_JA,
        "MODE_JA": MODE_JA,
        "VIEW_JA": VIEW_JA,
        "REASON_JA": REASON_JA,
        "reason_label": reason_label,
        "slot_items": slot_items,
        "intent_label": intent_label,
        "OUTCOMES": OUTCOMES,
        "CONSOLE_OUTCOMES": CONSOLE_OUTCOMES,
    }


def reason_label(handoff: Handoff) -> str:
    """Why the bot handed over, without a second 「緊急」 beside the urgent badge (「危機の兆候」)."""
    label = REASON_JA.get(handoff.reason, handoff.reason)
    return label[3:-1] if handoff.urgent and label.startswith("緊急（") and label.endswith("）") else label


def fmt(moment: datetime | None, pattern: str = "%m/%d %H:%M") -> str:
    """A UTC time shown in Yokohama."""
    return moment.astimezone(TOKYO).strftime(pattern) if moment else ""


def _names(session, ids) -> dict[int, str]:
    """Display names of admin users by id (their table belongs to the admin package; '#id' without it)."""
    ids = {i for i in ids if i is not None}
    names = {i: f"#{i}" for i in ids}
    try:
        model = importlib.import_module("admin.models").AdminUser
        for user in session.scalars(select(model).where(model.id.in_(ids))):
            names[user.id] = getattr(user, "name", None) or user.email
    except Exception:  # names are decoration; the admin tables may not exist yet
        session.rollback()
    return names


def _queue_context(session, view: str, admin_id: int) -> dict:
    rows = queue(session, view, admin_id)
    now = services().context.clock()
    return {
        "view": view,
        "rows": rows,
        "counts": queue_counts(session, admin_id),
        "names": _names(session, [h.assigned_to for h in rows]),
        "waited": {h.id: int((now - h.created_at).total_seconds() // 60) for h in rows},
        "usage": push_usage(session, services().context.today()),
    }


@bp.get("/")
def index():
    """The queue: waiting (urgent first, then longest waiting), mine, others, closed."""
    view = request.args.get("view", "waiting")
    view = view if view in VIEWS else "waiting"
    with services().session_factory() as session:
        return render_template("console/queue.html", **_queue_context(session, view, me().id))


def _fragment(template: str, context: dict) -> dict:
    html = render_template(template, **context)
    version = hashlib.sha1(html.encode(), usedforsecurity=False).hexdigest()[:16]
    return {"version": version, "html": None if request.args.get("since") == version else html}


@bp.get("/api/queue")
def queue_state():
    """Polled by the queue page: the rows fragment when it changed, and the tab counts."""
    view = request.args.get("view", "waiting")
    view = view if view in VIEWS else "waiting"
    with services().session_factory() as session:
        context = _queue_context(session, view, me().id)
        return jsonify(counts=context["counts"], **_fragment("console/_queue_rows.html", context))


def _conversation_context(session, handoff_id: int) -> dict:
    handoff = session.get(Handoff, handoff_id)
    if handoff is None:
        abort(404)
    user = handoff.user
    return {
        "h": handoff,
        "user": user,
        "mode": user.conversation.mode if user.conversation else "bot",
        "lines": history(session, user.id),
        "names": _names(session, [handoff.assigned_to]),
        "me": me(),
    }


@bp.get("/c/<int:handoff_id>")
def conversation(handoff_id: int):
    """One conversation: summary, the whole history, reply box, quick actions and notes."""
    svc = services()
    with svc.session_factory() as session:
        context = _conversation_context(session, handoff_id)
        context["suggestions"] = _suggestions(session, context["user"].id)
        context["usage"] = push_usage(session, svc.context.today())
        return render_template("console/conversation.html", **context)


def _suggestions(session, user_id: int) -> list:
    """FAQ entries matching the resident's latest typed message (for 「FAQの回答を送る」)."""
    ctx = services().context
    text = session.scalar(
        select(Message.text)
        .where(Message.user_id == user_id, Message.direction == "in", Message.kind == "text")
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(1)
    )
    if not text or ctx.knowledge is None:
        return []
    return [match.entry for match in ctx.knowledge.get(session).search(text, ctx.today(), k=5)]


@bp.get("/api/c/<int:handoff_id>")
def conversation_state(handoff_id: int):
    """Polled by the conversation page: the history fragment when it changed, status and mode."""
    with services().session_factory() as session:
        context = _conversation_context(session, handoff_id)
        status = {"status": context["h"].status, "mode": context["mode"]}
        return jsonify(**status, **_fragment("console/_transcript.html", context))


NOT_YOURS = "ほかの担当者が対応中です。この相談を操作するには、先に「引き継ぐ」を押してください。"


def _require_owner(session, handoff_id: int, admin_id: int) -> None:
    """Refuse acting on a hand-off assigned to someone else (taking it over is the explicit way to do that)."""
    handoff, _conversation = service.lock(session, handoff_id)
    if handoff.status == "assigned" and handoff.assigned_to not in (None, admin_id):
        raise HandoffError(NOT_YOURS)


def _act(handoff_id: int, action, done: str, owner_only: bool = True):
    """Run one console action in a transaction, send its messages after commit, answer JSON or redirect.

    Unless `owner_only` is False (taking, notes), the hand-off must be waiting or assigned to the current user.
    """
    svc = services()
    ids: list[int] = []
    error = None
    try:
        with unit_of_work(svc.session_factory) as session:
            if owner_only:
                _require_owner(session, handoff_id, me().id)
            result = action(session, svc.context, me().id, svc.context.clock())
            ids = result if isinstance(result, list) else []
    except HandoffError as exc:
        error = str(exc)
    svc.sender.submit(ids)
    if request.accept_mimetypes.best == "application/json":
        return jsonify(ok=error is None, error=error, message=None if error else done), 409 if error else 200
    flash(error or done, "error" if error else "info")
    return redirect(url_for(".conversation", handoff_id=handoff_id))


@bp.post("/c/<int:handoff_id>/take")
def take(handoff_id: int):
    """Take the hand-off (or take it over from another coordinator)."""
    over = request.form.get("take_over") == "1"
    return _act(
        handoff_id,
        lambda s, c, a, now: service.assign(s, handoff_id, a, now, over),
        "担当にしました。",
        owner_only=False,
    )


@bp.post("/c/<int:handoff_id>/reply")
def reply(handoff_id: int):
    """Send the coordinator's message to the resident."""
    text = request.form.get("text", "")[:5000]
    return _act(
        handoff_id, lambda s, c, a, now: service.send_coordinator_message(s, handoff_id, a, text, now), "送信しました。"
    )


@bp.post("/c/<int:handoff_id>/kb")
def send_kb(handoff_id: int):
    """Quick action: send a knowledge-base answer card."""
    faq_id = request.form.get("faq_id", "").strip()
    return _act(
        handoff_id, lambda s, c, a, now: actions.send_kb_answer(c, s, handoff_id, a, faq_id, now), "FAQを送りました。"
    )


@bp.post("/c/<int:handoff_id>/booking")
def booking(handoff_id: int):
    """Quick action: offer a booking (the bot takes over with the booking flow)."""
    return _act(
        handoff_id, lambda s, c, a, now: actions.offer_booking(c, s, handoff_id, a, now), "予約の案内を送りました。"
    )


@bp.post("/c/<int:handoff_id>/return")
def return_to_bot(handoff_id: int):
    """Quick action: hand the conversation back to the bot (the resident is told)."""
    return _act(
        handoff_id, lambda s, c, a, now: service.close(s, handoff_id, a, "returned_to_bot", now), "ボットに戻しました。"
    )


@bp.post("/c/<int:handoff_id>/close")
def close(handoff_id: int):
    """Close with an outcome category; the bot answers again."""
    outcome = request.form.get("outcome", "")
    notify = request.form.get("notify") == "1"
    return _act(
        handoff_id, lambda s, c, a, now: service.close(s, handoff_id, a, outcome, now, notify), "終了しました。"
    )


@bp.post("/c/<int:handoff_id>/oa")
def oa_manager(handoff_id: int):
    """Mark (or unmark) the conversation as handled in LINE Official Account Manager."""
    on = request.form.get("on", "1") == "1"
    done = "OA Managerで対応中にしました。" if on else "この画面での対応に戻しました。"
    return _act(handoff_id, lambda s, c, a, now: service.mark_oa_manager(s, handoff_id, a, now, on), done)


@bp.post("/c/<int:handoff_id>/notes")
def add_note(handoff_id: int):
    """Add an internal note (never sent to the resident)."""
    text = request.form.get("text", "")[:5000]
    user = me()
    author = getattr(user, "name", None) or getattr(user, "email", None)
    return _act(
        handoff_id,
        lambda s, c, a, now: service.add_note(s, handoff_id, a, author, text),
        "メモを残しました。",
        owner_only=False,
    )
