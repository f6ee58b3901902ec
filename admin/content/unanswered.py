"""Unanswered inbox: what the bot could not answer, grouped by similarity; add as paraphrase, new FAQ or dismiss."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select, update

from admin.content import faq_tools as tools
from admin.content.answers_given import inbox_questions
from admin.insights.grouping import Question, group_questions
from admin.people.auth import audit, current_admin
from bot.platform.db import unit_of_work
from bot.platform.services import services
from knowledge import editing
from knowledge.entries import TOPICS
from knowledge.models import FaqEntry, UnansweredQuestion
from knowledge.privacy import mask_personal_data

bp = Blueprint("unanswered", __name__, url_prefix="/unanswered")
INBOX_LIMIT = 500  # grouping compares every pair
OTHER = "other"  # the 「ほかのFAQ」 choice: the id is typed in faq_other
REASON_JA = {
    "abstained": "わかりませんと回答",
    "low_confidence": "自信なし（もしかして）",
    "unhelpful": "役に立たなかった",
    "rephrased": "回答の直後に言い直し",
}


def open_questions(db, limit: int = INBOX_LIMIT) -> list[Question]:
    """Open questions, newest first."""
    rows = db.scalars(
        select(UnansweredQuestion)
        .where(UnansweredQuestion.status == "open")
        .order_by(UnansweredQuestion.created_at.desc(), UnansweredQuestion.id.desc())
        .limit(limit)
    )
    return inbox_questions(db, list(rows))  # with the answer given, for those rated unhelpful or asked again


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
            TOPIC_JA=tools.TOPIC_JA,
            OTHER=OTHER,
        )


def _ids() -> list[int]:
    ids = [int(i) for i in request.values.getlist("id") if i.isdigit() and len(i) < 19]
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


def _target(db, faq_id: str) -> FaqEntry | None:
    row = db.get(FaqEntry, faq_id) if faq_id else None
    return row if row is not None and row.status == "published" else None


def _chosen_faq() -> str:
    """The target the form names: a candidate's radio button, or the id typed under 「ほかのFAQ」."""
    chosen = request.values.get("faq_id", "").strip()
    return request.values.get("faq_other", "").strip() if chosen == OTHER else chosen


def warnings(trial: tools.Trial, target: FaqEntry) -> list[str]:
    """What the preview should make staff stop and check before publishing."""
    out = []
    if not trial.after or trial.after[0].entry.id != target.id:
        first = trial.after[0].entry.question if trial.after else "（なし）"
        out.append(f"追加しても、この質問の1位は別のFAQ「{first}」です。追加先が合っているか確かめてください。")
    if trial.after_decision != "answer":
        out.append(f"追加しても、ボットはこの質問に{tools.DECISION_JA[trial.after_decision]}と返します。")
    if trial.before and trial.before[0].entry.topic != target.topic:
        near = tools.TOPIC_JA.get(trial.before[0].entry.topic, trial.before[0].entry.topic)
        there = tools.TOPIC_JA.get(target.topic, target.topic)
        out.append(f"この質問にいちばん近いFAQは「{near}」の分野ですが、追加先は「{there}」の分野です。")
    return out


@bp.get("/preview")
def preview():
    """Before anything is published: the chosen target FAQ in full and the retrieval scores now and after."""
    ids, faq_id = _ids(), _chosen_faq()
    text = request.values.get("text", "").strip()
    with services().session_factory() as db:
        target = _target(db, faq_id)
        if target is None or not text:
            flash("追加先のFAQ（公開中のもの）と言い換えの文を指定してください。", "error")
            return redirect(url_for(".index"))
        data = editing.row_data(target)
        data["paraphrases"] = [*data["paraphrases"], text]
        trial = tools.try_question(db, data, text)
        questions = db.scalars(select(UnansweredQuestion.text).where(UnansweredQuestion.id.in_(ids))).all()
        return render_template(
            "admin/unanswered_preview.html",
            ids=ids,
            text=text,
            target=target,
            trial=trial,
            questions=[mask_personal_data(q) for q in questions],
            notes=warnings(trial, target),
            DECISION_JA=tools.DECISION_JA,
            THRESHOLDS=tools.THRESHOLDS,
            TOPIC_JA=tools.TOPIC_JA,
        )


@bp.post("/paraphrase")
def add_paraphrase():
    """Add the wording to an FAQ as a paraphrase (published at once) and resolve the group: only from the
    preview, where staff saw the target and the scores (anything else is sent to the preview first)."""
    ids, faq_id = _ids(), _chosen_faq()
    text = request.form.get("text", "").strip()
    if request.form.get("confirmed") != "1":
        return redirect(url_for(".preview", id=ids, faq_id=faq_id, text=text))
    with unit_of_work(services().session_factory) as db:
        if _target(db, faq_id) is None:
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
