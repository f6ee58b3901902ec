"""Read side for the coordinator console: the queue, one resident's whole history, and the push budget."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from bot.booking.models import Booking
from bot.handoff.models import OUTCOMES, Handoff, InternalNote
from bot.handoff.readable import bot_text, remember_offered, rich_menu_labels, tapped_label
from bot.handoff.settings import handoff_settings
from bot.notices.sending import pushes_sent
from bot.platform.models import Message, OutboxItem

TOKYO = ZoneInfo("Asia/Tokyo")
VIEWS = ("waiting", "mine", "others", "closed")
REASON_JA = {
    "asked": "相談員を希望",
    "crisis": "緊急（危機の兆候）",
    "misunderstood": "ボットが2回理解できず",
    "path": "案内の結果、相談員へ",
    "unhelpful": "回答が役に立たず",
}
BOOKING_JA = {"held": "仮押さえ", "confirmed": "確定", "cancelled": "キャンセル", "attended": "来所", "no_show": "欠席"}


@dataclass(frozen=True)
class PushUsage:
    """Push messages sent in a month against the configured budget."""

    month: str
    used: int
    budget: int
    warn_ratio: float = 0.8

    @property
    def percent(self) -> int:
        """Share of the budget used, in whole percent."""
        return round(100 * self.used / self.budget) if self.budget > 0 else 100

    @property
    def warn(self) -> bool:
        """At or above the warning share (80 % by default)."""
        return self.budget <= 0 or self.used >= self.budget * self.warn_ratio

    @property
    def over(self) -> bool:
        """The budget is used up."""
        return self.used >= self.budget


def month_bounds(month: date, tz: ZoneInfo = TOKYO) -> tuple[datetime, datetime]:
    """Start and end of the calendar month containing `month`, in the centre's timezone."""
    start = datetime(month.year, month.month, 1, tzinfo=tz)
    end = datetime(month.year + month.month // 12, month.month % 12 + 1, 1, tzinfo=tz)
    return start, end


def push_usage(session: Session, month: date) -> PushUsage:
    """Pushes sent in the month (outbox rows sent via push, LINE group notifications, and one per recipient of
    each notice's multicast) against the budget."""
    start, end = month_bounds(month)
    pushes = session.scalar(
        select(func.count(OutboxItem.id)).where(
            OutboxItem.via == "push", OutboxItem.sent_at >= start, OutboxItem.sent_at < end
        )
    )
    groups = session.scalar(
        select(func.coalesce(func.sum(Handoff.group_pushes), 0)).where(
            Handoff.created_at >= start, Handoff.created_at < end
        )
    )
    settings = handoff_settings(session)
    return PushUsage(
        f"{month.year}-{month.month:02d}",
        int(pushes or 0) + int(groups or 0) + pushes_sent(session, start, end),
        settings.push_monthly_budget,
        settings.push_warn_ratio,
    )


def queue(session: Session, view: str, admin_id: int | None, limit: int = 100) -> list[Handoff]:
    """Hand-offs for a console tab: waiting (urgent first, then longest waiting), mine, others, closed."""
    query = select(Handoff)
    urgent_first = case((Handoff.urgent.is_(True), 0), else_=1)
    if view == "waiting":
        query = query.where(Handoff.status == "waiting").order_by(urgent_first, Handoff.created_at, Handoff.id)
    elif view in ("mine", "others"):
        mine = Handoff.assigned_to == admin_id
        query = query.where(Handoff.status == "assigned", mine if view == "mine" else ~mine)
        query = query.order_by(urgent_first, Handoff.assigned_at, Handoff.id)
    else:
        query = query.where(Handoff.status == "closed").order_by(Handoff.closed_at.desc(), Handoff.id.desc())
    return list(session.scalars(query.limit(limit)))


def queue_counts(session: Session, admin_id: int | None) -> dict[str, int]:
    """How many hand-offs each open tab holds (and how many waiting are urgent)."""
    rows = session.execute(
        select(Handoff.status, Handoff.urgent, Handoff.assigned_to, func.count())
        .where(Handoff.status != "closed")
        .group_by(Handoff.status, Handoff.urgent, Handoff.assigned_to)
    ).all()
    counts = {"waiting": 0, "urgent": 0, "mine": 0, "others": 0}
    for status, urgent, assigned_to, n in rows:
        if status == "waiting":
            counts["waiting"] += n
            counts["urgent"] += n if urgent else 0
        else:
            counts["mine" if assigned_to == admin_id else "others"] += n
    return counts


@dataclass(frozen=True)
class Line:
    """One line of a resident's history, as the console shows it."""

    at: datetime
    kind: str  # in | bot | coordinator | event | note | booking
    text: str
    faq_id: str | None = None
    intent: str | None = None
    delivery: str | None = None  # reply | push | pending | dead


def history(session: Session, user_id: int, limit: int = 300) -> list[Line]:
    """Messages both ways (with FAQ ids and delivery), hand-offs, bookings and internal notes, oldest first."""
    rows = session.execute(
        select(Message, OutboxItem.status, OutboxItem.via)
        .outerjoin(OutboxItem, OutboxItem.id == Message.outbox_id)
        .where(Message.user_id == user_id)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(limit)
    ).all()
    offered = rich_menu_labels()  # postback data → what the resident saw on the button they tapped
    lines = [_message_line(msg, status, via, offered) for msg, status, via in reversed(rows)]
    handoffs = session.scalars(select(Handoff).where(Handoff.user_id == user_id)).all()
    for h in handoffs:
        lines.append(Line(h.created_at, "event", f"相談員へ（{REASON_JA.get(h.reason, h.reason)}）"))
        if h.assigned_at:
            lines.append(Line(h.assigned_at, "event", "担当者が対応を開始"))
        if h.closed_at:
            lines.append(Line(h.closed_at, "event", f"終了：{OUTCOMES.get(h.outcome or '', h.outcome)}"))
    notes = session.scalars(
        select(InternalNote).join(Handoff, Handoff.id == InternalNote.handoff_id).where(Handoff.user_id == user_id)
    ).all()
    lines += [Line(n.created_at, "note", f"{n.author or '担当者'}：{n.text}") for n in notes]
    lines += [_booking_line(b) for b in session.scalars(select(Booking).where(Booking.user_id == user_id))]
    return sorted(lines, key=lambda line: line.at)


def _message_line(msg: Message, status: str | None, via: str | None, offered: dict[str, str]) -> Line:
    """One message as the resident saw it: a tap as its button's label, a sent message in short."""
    fallback = msg.text or f"（{msg.kind}）"
    if msg.direction == "in":
        kind, text = "in", tapped_label(msg.text or "", offered) if msg.kind == "postback" else fallback
    else:
        kind = "coordinator" if msg.intent == "coordinator" else "bot"
        text = bot_text(msg.payload, fallback)
        if msg.payload:
            remember_offered(msg.payload, offered)
    delivery = via if status == "sent" else status
    return Line(msg.created_at, kind, text, msg.faq_id, msg.intent, delivery)


def _booking_line(booking: Booking) -> Line:
    slot = booking.slot
    when = slot.starts_at.astimezone(TOKYO).strftime("%m/%d %H:%M")
    text = f"予約 #{booking.id}：{when}「{slot.type.name}」（{BOOKING_JA.get(booking.status, booking.status)}）"
    return Line(booking.created_at, "booking", text)
