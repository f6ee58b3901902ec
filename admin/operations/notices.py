"""お知らせ配信: staff compose a notice, see it as residents will, how many it reaches and what it costs against
the month's push budget, then schedule it; after sending, delivered, failed and opt-outs per notice."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from admin.content.preview import render_messages
from admin.people.auth import audit, current_admin
from bot.handoff.queue import month_bounds, push_usage
from bot.notices.models import TOPICS, WARDS, Notice, NoticeSubscription
from bot.notices.sending import notice_messages
from bot.notices.service import audience
from bot.notices.texts import topic_name
from bot.platform.db import unit_of_work, utcnow
from bot.platform.services import services

bp = Blueprint("notices", __name__, url_prefix="/notices")
STATUS_JA = {
    "draft": "下書き",
    "scheduled": "配信予約",
    "held": "保留（プッシュ上限）",
    "sending": "配信中",
    "sent": "配信済み",
}
TOPIC_JA = {t: topic_name(t) for t in TOPICS}
EDITABLE = ("draft", "scheduled", "held")
BODY_MAX = 3000  # the text message (5,000) also holds the title, the link and the way to stop


@dataclass
class Draft:
    """The form's values, checked; `errors` are shown beside the form."""

    title: str = ""
    body: str = ""
    image_url: str = ""
    link_url: str = ""
    topics: list[str] = field(default_factory=list)
    wards: list[str] = field(default_factory=list)
    send_at: str = ""  # datetime-local in the centre's time; empty: as soon as possible
    errors: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, notice: Notice) -> Draft:
        when = (
            notice.scheduled_at.astimezone(services().context.tz).strftime("%Y-%m-%dT%H:%M")
            if notice.scheduled_at
            else ""
        )
        return cls(
            notice.title,
            notice.body,
            notice.image_url or "",
            notice.link_url or "",
            list(notice.topics),
            list(notice.wards),
            when,
        )

    @classmethod
    def from_form(cls) -> Draft:
        form = request.form
        draft = cls(
            title=form.get("title", "").strip(),
            body=form.get("body", "").replace("\r\n", "\n").strip(),
            image_url=form.get("image_url", "").strip(),
            link_url=form.get("link_url", "").strip(),
            topics=[t for t in TOPICS if t in form.getlist("topics")],
            wards=[code for code, _ in WARDS if code in form.getlist("wards")],
            send_at=form.get("send_at", "").strip(),
        )
        draft.check()
        return draft

    def check(self) -> None:
        if not 1 <= len(self.title) <= 100:
            self.errors.append("件名を100文字以内で入力してください。")
        if not 1 <= len(self.body) <= BODY_MAX:
            self.errors.append(f"本文を{BODY_MAX}文字以内で入力してください。")
        if self.image_url and not (self.image_url.startswith("https://") and len(self.image_url) <= 1000):
            self.errors.append("画像のURLは https:// で始まる1000文字以内のものにしてください（LINEの決まりです）。")
        if self.link_url and not (self.link_url.startswith(("https://", "http://")) and len(self.link_url) <= 1000):
            self.errors.append("リンクは https:// で始まる1000文字以内のURLにしてください。")
        if not self.topics:
            self.errors.append("テーマを1つ以上選んでください（選んだテーマを希望した人にだけ届きます）。")
        if self.send_at and self.when() is None:
            self.errors.append("配信日時を正しく入力してください。")

    def when(self) -> datetime | None:
        """The chosen time (UTC), or None when unreadable; empty means now."""
        if not self.send_at:
            return utcnow()
        try:
            local = datetime.fromisoformat(self.send_at)
        except ValueError:
            return None
        return local.replace(tzinfo=services().context.tz) if local.tzinfo is None else local

    def notice(self) -> Notice:
        """An unsaved notice with these values (for the preview)."""
        return Notice(
            title=self.title or "（件名）",
            body=self.body or "（本文）",
            image_url=self.image_url or None,
            link_url=self.link_url or None,
            topics=self.topics,
            wards=self.wards,
        )

    def apply(self, notice: Notice) -> None:
        notice.title, notice.body = self.title, self.body
        notice.image_url, notice.link_url = self.image_url or None, self.link_url or None
        notice.topics, notice.wards = self.topics, self.wards


@dataclass
class Cost:
    """What sending costs: the residents it reaches now, against the month's push budget."""

    reach: int
    month: str
    used: int
    committed: int  # other notices already scheduled for that month (their reach today)
    budget: int
    warn_ratio: float

    @property
    def after(self) -> int:
        return self.used + self.committed + self.reach

    @property
    def over(self) -> bool:
        return self.after > self.budget

    @property
    def warn(self) -> bool:
        return self.after >= self.budget * self.warn_ratio


def cost(db: Session, draft: Draft, exclude_id: int | None = None) -> Cost:
    """The reach of a draft and the push budget of the month it would be sent in."""
    when = draft.when() or utcnow()
    tz = services().context.tz
    month = max(when, utcnow()).astimezone(tz).date()
    usage = push_usage(db, month)
    start, end = month_bounds(month)
    others = db.scalars(
        select(Notice).where(Notice.status == "scheduled", Notice.scheduled_at >= start, Notice.scheduled_at < end)
    ).all()
    committed = sum(len(audience(db, n.topics, n.wards)) for n in others if n.id != exclude_id)
    reach = len(audience(db, draft.topics, draft.wards)) if draft.topics else 0
    return Cost(reach, usage.month, usage.used, committed, usage.budget, usage.warn_ratio)


def _page(db: Session, draft: Draft, notice: Notice | None, status: int = 200):
    editable = notice is None or notice.status in EDITABLE
    previews = {lang: render_messages(notice_messages(draft.notice(), lang)) for lang in ("ja", "easy", "en")}
    page = render_template(
        "admin/notice.html",
        draft=draft,
        notice=notice,
        editable=editable,
        previews=previews,
        cost=cost(db, draft, notice.id if notice else None) if editable else None,
        topics=TOPIC_JA,
        wards=WARDS,
        status_ja=STATUS_JA,
        image_url=draft.image_url,
    )
    return page, status


@bp.get("/")
def index():
    """Every notice, newest first, with its outcome; how many residents want each topic."""
    with services().session_factory() as db:
        notices = db.scalars(select(Notice).order_by(Notice.id.desc()).limit(200)).all()
        subs = db.scalars(select(NoticeSubscription.topics).where(NoticeSubscription.stopped_at.is_(None))).all()
        stopped = db.scalar(select(func.count()).where(NoticeSubscription.stopped_at.is_not(None))) or 0
    per_topic = {t: sum(1 for s in subs if t in (s or [])) for t in TOPICS}
    return render_template(
        "admin/notices.html",
        notices=notices,
        per_topic=per_topic,
        subscribers=sum(1 for s in subs if s),
        stopped=stopped,
        topics=TOPIC_JA,
        status_ja=STATUS_JA,
    )


@bp.get("/new")
def new():
    """An empty notice form."""
    with services().session_factory() as db:
        return _page(db, Draft(), None)


@bp.get("/<int:notice_id>")
def show(notice_id: int):
    """A notice: its form while it can still change, else what was sent and its outcome."""
    with services().session_factory() as db:
        notice = db.get(Notice, notice_id)
        if notice is None:
            abort(404)
        return _page(db, Draft.of(notice), notice)


@bp.post("/save")
def save():
    """Preview, save as a draft, or schedule (refused when it reaches nobody or goes over the push budget)."""
    action = request.form.get("action", "preview")
    notice_id = request.form.get("notice_id", "")
    draft = Draft.from_form()
    with unit_of_work(services().session_factory) as db:
        notice = db.get(Notice, int(notice_id)) if notice_id.isdigit() and len(notice_id) < 12 else None
        if notice_id and notice is None:
            abort(404)
        if notice is not None and notice.status not in EDITABLE:
            flash("配信を始めたお知らせは変更できません。", "error")
            return redirect(url_for(".show", notice_id=notice.id))
        if action == "preview" or draft.errors:
            return _page(db, draft, notice, 400 if draft.errors and action != "preview" else 200)
        if action == "schedule":
            refusal = _refusal(db, draft, notice)
            if refusal:
                draft.errors.append(refusal)
                return _page(db, draft, notice, 400)
        if notice is None:
            notice = Notice(created_by=current_admin().email, status="draft")
            db.add(notice)
        draft.apply(notice)
        if action == "schedule":
            notice.status, notice.scheduled_at = "scheduled", max(draft.when(), utcnow())
        else:
            notice.status, notice.scheduled_at = "draft", draft.when() if draft.send_at else None
        db.flush()
        audit(
            db,
            f"notices.{'schedule' if action == 'schedule' else 'draft'}",
            str(notice.id),
            {"topics": notice.topics, "wards": notice.wards},
        )
        saved_id = notice.id
    if action == "schedule":
        flash("配信を予約しました。時刻になると、希望した人にだけ送られます（取り消しは配信開始まで）。", "info")
    else:
        flash("下書きを保存しました。", "info")
    return redirect(url_for(".show", notice_id=saved_id))


def _refusal(db: Session, draft: Draft, notice: Notice | None) -> str | None:
    when = draft.when()
    if when is not None and when < utcnow() - timedelta(minutes=1):
        return "配信日時が過ぎています。これからの日時にするか、空欄（すぐに配信）にしてください。"
    c = cost(db, draft, notice.id if notice else None)
    if c.reach == 0:
        return "このテーマ・区のお知らせを希望している人がいないため、配信できません。"
    if c.over:
        return (
            f"{c.month}の月間プッシュ上限を超えます（使用済み {c.used} 通＋予約済み {c.committed} 通＋"
            f"このお知らせ {c.reach} 通 ＞ 上限 {c.budget} 通）。テーマや区を絞るか、来月に予約してください。"
        )
    return None


@bp.post("/<int:notice_id>/cancel")
def cancel(notice_id: int):
    """Take a scheduled notice back to a draft (before its sending starts)."""
    with unit_of_work(services().session_factory) as db:
        notice = db.get(Notice, notice_id, with_for_update=True)
        if notice is None:
            abort(404)
        done = notice.status == "scheduled"
        if done:
            notice.status = "draft"
            audit(db, "notices.cancel", str(notice_id))
    if done:
        flash("配信の予約を取り消しました（下書きに戻りました）。", "info")
    else:
        flash("このお知らせは予約中ではありません（すでに配信が始まった可能性があります）。", "error")
    return redirect(url_for(".show", notice_id=notice_id))
