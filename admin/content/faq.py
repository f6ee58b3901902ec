"""FAQ editor: list with search and filters, edit form with live LINE preview and 「試す」, history and revert."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select, update

from admin.content import faq_tools as tools
from admin.people.auth import audit, current_admin
from bot.booking.models import ConsultationType
from bot.platform.db import unit_of_work
from bot.platform.services import services
from knowledge import editing
from knowledge.entries import BOOKING_TYPES, TOPICS
from knowledge.models import FaqEntry, UnansweredQuestion

bp = Blueprint("faq", __name__, url_prefix="/faq")


@bp.context_processor
def _values() -> dict:
    return {
        "TOPICS": TOPICS,
        "TOPIC_JA": tools.TOPIC_JA,
        "STATUS_JA": tools.STATUS_JA,
        "BOOKING_TYPES": BOOKING_TYPES,
        "DECISION_JA": tools.DECISION_JA,
        "THRESHOLDS": tools.THRESHOLDS,
    }


@bp.get("/")
def index():
    """The list: search with the bot's own retrieval; filter by topic, status, expiring, review due, low rating."""
    args = {k: request.args.get(k, "") for k in ("q", "topic", "status", "flag")}
    svc = services()
    with svc.session_factory() as db:
        rows = tools.list_rows(db, today=svc.context.today(), **args)
        return render_template("admin/faq/list.html", rows=rows, args=args, today=svc.context.today())


def _empty(args) -> dict:
    topic = args.get("topic") if args.get("topic") in TOPICS else "founding"
    return {
        "id": f"{topic}.",
        "topic": topic,
        "question": args.get("question", ""),
        "question_en": "",
        "paraphrases": args.getlist("paraphrase"),
        "answer": "",
        "answer_easy": "",
        "answer_en": "",
        "source": "",
        "follow_up": {"booking": None, "coordinator": False, "related": []},
        "valid_from": None,
        "valid_until": None,
        "reviewed_at": None,
        "review_by": None,
        "note": None,
    }


def _editor(db, data: dict, row: FaqEntry | None, status: int = 200, **extra):
    shown, error = tools.preview(db, data)
    draft = editing.pending_draft(db, row.id) if row is not None else None
    context = {"data": data, "row": row, "draft": draft, "previews": shown, "preview_error": error, **extra}
    context["all_ids"] = list(db.scalars(select(FaqEntry.id).where(FaqEntry.question != "").order_by(FaqEntry.id)))
    types = db.execute(select(ConsultationType.code, ConsultationType.name)).all()
    context["booking_names"] = dict(types)  # the booking menu shows the types' names, not their codes
    context.setdefault("resolve", request.values.getlist("resolve"))
    return render_template("admin/faq/edit.html", **context), status


@bp.get("/new")
def new():
    """A blank editor, prefilled from the unanswered inbox when it sends question/paraphrase/resolve."""
    with services().session_factory() as db:
        return _editor(db, _empty(request.args), None)


@bp.get("/e/<faq_id>")
def edit(faq_id: str):
    """The editor for one entry: its pending draft if there is one, else what residents get now."""
    with services().session_factory() as db:
        row = db.get(FaqEntry, faq_id) or abort(404)
        draft = editing.pending_draft(db, faq_id)
        data = editing.from_snapshot(draft.snapshot)[0] if draft else editing.row_data(row)
        return _editor(db, data, row)


@bp.post("/save")
def save():
    """Save as draft, publish, or (without JavaScript) refresh the preview."""
    action = request.form.get("action", "draft")
    svc = services()
    with unit_of_work(svc.session_factory) as db:
        row = db.get(FaqEntry, request.form.get("id", "").strip())
        data = tools.form_data(request.form, row.follow_up if row else None)
        is_new = request.form.get("new") == "1"
        if action == "preview":
            return _editor(db, data, None if is_new else row)
        try:
            if is_new and row is not None:
                raise editing.EditError(f"ID「{row.id}」はすでに使われています。別のIDにしてください。")
            faq_id = _store(db, data, action)
        except editing.EditError as exc:
            db.rollback()
            flash(str(exc), "error")
            return _editor(db, data, None if is_new else row, status=400)
    flash("公開しました。ボットの回答に反映されています。" if action == "publish" else "下書きを保存しました。", "info")
    return redirect(url_for(".edit", faq_id=faq_id))


def _store(db, data: dict, action: str) -> str:
    author = current_admin().email
    if action == "publish":
        row = editing.publish(db, data, author)
        faq_id, version = row.id, row.version
    else:
        revision = editing.save_draft(db, data, author)
        faq_id, version = revision.faq_id, revision.version
    resolved = [int(i) for i in request.form.getlist("resolve") if i.isdigit()]
    if resolved:
        db.execute(update(UnansweredQuestion).where(UnansweredQuestion.id.in_(resolved)).values(status="resolved"))
    audit(db, f"faq.{action}", faq_id, {"version": version, "resolved": resolved})
    return faq_id


@bp.post("/preview")
def preview():
    """The LINE preview fragments (日本語 / やさしい日本語 / English) for the editor's contents, as staff type."""
    with services().session_factory() as db:
        shown, error = tools.preview(db, tools.form_data(request.form))
        return render_template("admin/faq/_preview.html", previews=shown, preview_error=error)


@bp.post("/try")
def try_question():
    """「試す」: the top 3 matches for a question now and with this edit, with scores."""
    question = request.form.get("q", "").strip()
    with services().session_factory() as db:
        try:
            trial = tools.try_question(db, tools.form_data(request.form), question) if question else None
        except ValueError as exc:
            return render_template("admin/faq/_try.html", trial=None, error=str(exc))
        return render_template("admin/faq/_try.html", trial=trial, error=None)


@bp.get("/e/<faq_id>/history")
def history(faq_id: str):
    """Every revision, newest first, each with its changes against the one before."""
    with services().session_factory() as db:
        row = db.get(FaqEntry, faq_id) or abort(404)
        revisions = editing.revisions(db, faq_id)
        items = []
        for i, revision in enumerate(revisions):
            data, status = editing.from_snapshot(revision.snapshot)
            older = editing.from_snapshot(revisions[i + 1].snapshot)[0] if i + 1 < len(revisions) else None
            items.append({"rev": revision, "status": status, "changes": editing.diff_entries(older, data)})
        return render_template("admin/faq/history.html", row=row, items=items)


@bp.post("/e/<faq_id>/revert/<int:version>")
def revert(faq_id: str, version: int):
    """One click: publish an earlier revision's contents again."""
    with unit_of_work(services().session_factory) as db:
        try:
            row = editing.revert(db, faq_id, version, current_admin().email)
        except editing.EditError as exc:
            db.rollback()
            flash(str(exc), "error")
            return redirect(url_for(".history", faq_id=faq_id))
        audit(db, "faq.revert", faq_id, {"to": version, "version": row.version})
    flash(f"版 {version} の内容を公開しました。", "info")
    return redirect(url_for(".history", faq_id=faq_id))


@bp.post("/e/<faq_id>/status")
def set_status(faq_id: str):
    """Stop serving an entry (archive), serve it again, or discard its pending draft."""
    action = request.form.get("action", "")
    with unit_of_work(services().session_factory) as db:
        db.get(FaqEntry, faq_id) or abort(404)
        try:
            if action == "discard":
                editing.discard_draft(db, faq_id)
            elif action in ("archived", "published"):
                editing.set_status(db, faq_id, action, current_admin().email)
            else:
                abort(400)
        except editing.EditError as exc:
            db.rollback()
            flash(str(exc), "error")
            return redirect(url_for(".edit", faq_id=faq_id))
        audit(db, f"faq.{action}", faq_id)
    messages = {"discard": "下書きを破棄しました。", "archived": "公開を停止しました。", "published": "公開しました。"}
    flash(messages[action], "info")
    return redirect(url_for(".edit", faq_id=faq_id))
