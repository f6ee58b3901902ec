"""Unanswered inbox: what the bot could not answer, grouped by similarity; add as paraphrase, new FAQ or dismiss."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select, update

from admin.content import faq_tools as tools
from admin.insights.grouping import Question, group_questions
from admin.people.auth import audit, current_admin
from bot.platform.db import unit_of_work
from bot.platform.services import services
from knowledge import editing
from knowledge.entries import TOPICS
from knowledge.models import FaqEntry, UnansweredQuestion

bp = Blueprint("unanswered", __name__, url_prefix="/unanswered")
INBOX_LIMIT = 500  # grouping compares every pair
REASON_JA = {
    "abstained": "わかりませんと回答",
    "low_confidence": "自信なし（もしかして）",
    "unhelpful": "役に立たなかった",
}


def open_questions(db, limit: int = INBOX_LIMIT) -> list[Question]:
    """Open questions, newest first."""
    rows = db.scalars(
        select(UnansweredQuestion)
        .where(UnansweredQuestion.status == "open")
        .order_by(UnansweredQuestion.created_at.desc(), UnansweredQuestion.id.desc())
        .limit(limit)
    )
    return [Question(r.id, r.text, r.reason, r.best_faq_id) for r in rows]


@bp.get("/")
def index():
    """Open questions grouped by similarity, with counts, examples and the three actions."""
    svc = services()
    with svc.session_factory() as db:
        groups = group_questions(open_questions(db))
        index_now = svc.context.knowledge.get(db)
        today = svc.context.today()
        rows = [(g, index_now.search(g.text, today, k=3)) for g in groups]
        faqs = db.execute(
            select(FaqEntry.id, FaqEntry.question).where(FaqEntry.status == "published").order_by(FaqEntry.id)
        ).all()
        return render_template(
            "admin/unanswered.html",
            rows=rows,
            faqs=faqs,
            REASON_JA=REASON_JA,
            DECISION_JA=tools.DECISION_JA,
            decision=tools.decision,
            TOPICS=TOPICS,
        )


def _ids() -> list[int]:
    ids = [int(i) for i in request.form.getlist("id") if i.isdigit()]
    return ids or abort(400)


def _close(db, ids: list[int], status: str) -> None:
    db.execute(
        update(UnansweredQuestion)
        .where(UnansweredQuestion.id.in_(ids), UnansweredQuestion.status == "open")
        .values(status=status)
    )


@bp.post("/try")
def try_paraphrase():
    """「試す」: the top 3 for the wording if it were added as a paraphrase of the chosen FAQ."""
    faq_id, text = request.form.get("faq_id", "").strip(), request.form.get("q", "").strip()
    with services().session_factory() as db:
        row = db.get(FaqEntry, faq_id)
        if row is None or not text:
            return render_template("admin/faq/_try.html", trial=None, error="FAQと言い換えの文を指定してください。")
        data = editing.row_data(row)
        data["paraphrases"] = [*data["paraphrases"], text]
        trial = tools.try_question(db, data, text)
        return render_template(
            "admin/faq/_try.html", trial=trial, error=None, DECISION_JA=tools.DECISION_JA, THRESHOLDS=tools.THRESHOLDS
        )


@bp.post("/paraphrase")
def add_paraphrase():
    """Add the wording to an FAQ as a paraphrase (published at once) and resolve the group."""
    ids, faq_id = _ids(), request.form.get("faq_id", "").strip()
    text = request.form.get("text", "").strip()
    with unit_of_work(services().session_factory) as db:
        if db.get(FaqEntry, faq_id) is None:
            flash(f"FAQ「{faq_id}」が見つかりません。", "error")
            return redirect(url_for(".index"))
        added = editing.add_paraphrase(db, faq_id, text, current_admin().email)
        _close(db, ids, "resolved")
        audit(db, "unanswered.paraphrase", faq_id, {"ids": ids, "text": text, "added": added})
    message = "言い換えとして追加し、公開しました。" if added else "このFAQはすでにこの言い方に対応しています。"
    flash(message + f"（{len(ids)}件を解決済みにしました）", "info")
    return redirect(url_for(".index"))


@bp.post("/dismiss")
def dismiss():
    """Nothing to do for this group (spam, chit-chat, out of scope): it leaves the inbox."""
    ids = _ids()
    with unit_of_work(services().session_factory) as db:
        _close(db, ids, "dismissed")
        audit(db, "unanswered.dismiss", None, {"ids": ids})
    flash(f"{len(ids)}件を対応不要にしました。", "info")
    return redirect(url_for(".index"))
