"""Staff-side booking queries and actions: filtered lists, CSV rows, cancelling with a notice to the resident."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.booking import replies as r
from bot.booking.models import Booking, ConsultationType, Slot
from bot.booking.rules import TOKYO
from bot.booking.service import cancel_booking
from bot.booking.settings import BookingSettings
from bot.booking.texts import bt, when
from bot.line import messages as m
from bot.line.outbox import enqueue

STATUS_JA = {
    "held": "仮押さえ",
    "confirmed": "確定",
    "cancelled": "キャンセル",
    "expired": "期限切れ",
    "attended": "来所済み",
    "no_show": "無断欠席",
}
CSV_HEADER = [
    "予約番号",
    "相談の種類",
    "開始",
    "終了",
    "状態",
    "団体名",
    "相談内容",
    "LINE表示名",
    "受付日時",
    "キャンセル日時",
]


@dataclass(frozen=True)
class BookingFilter:
    """What staff filter the booking list by."""

    type_code: str | None = None
    status: str | None = None
    start: date | None = None
    end: date | None = None
    slot_id: int | None = None
    q: str | None = None


def local_midnight(day: date) -> datetime:
    """00:00 of a local date."""
    return datetime.combine(day, time(), tzinfo=TOKYO)


def find_bookings(session: Session, f: BookingFilter, limit: int = 1000) -> list[Booking]:
    """Bookings matching the filter, by slot time."""
    query = select(Booking).join(Slot, Slot.id == Booking.slot_id).join(ConsultationType)
    if f.type_code:
        query = query.where(ConsultationType.code == f.type_code)
    if f.status:
        query = query.where(Booking.status == f.status)
    if f.start:
        query = query.where(Slot.starts_at >= local_midnight(f.start))
    if f.end:
        query = query.where(Slot.starts_at < local_midnight(f.end + timedelta(days=1)))
    if f.slot_id:
        query = query.where(Booking.slot_id == f.slot_id)
    if f.q:
        like = f"%{f.q}%"
        query = query.where(or_(Booking.organisation.like(like), Booking.summary.like(like)))
    return list(session.scalars(query.order_by(Slot.starts_at, Booking.id).limit(limit)))


def csv_rows(bookings: list[Booking]) -> Iterator[list[str]]:
    """The header, then one row per booking (local times)."""
    yield CSV_HEADER
    for b in bookings:
        yield [
            str(b.id),
            b.slot.type.name,
            _local(b.slot.starts_at),
            _local(b.slot.ends_at),
            STATUS_JA.get(b.status, b.status),
            b.organisation or "",
            b.summary or "",
            b.user.display_name or "",
            _local(b.confirmed_at or b.created_at),
            _local(b.cancelled_at),
        ]


def _local(moment: datetime | None) -> str:
    return moment.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M") if moment else ""


def cancel_by_staff(
    session: Session, booking_id: int, now: datetime, settings: BookingSettings, phone: str
) -> list[int]:
    """Cancel a booking for the centre and queue a notice to the resident; returns outbox ids to send."""
    booking = session.get(Booking, booking_id)
    if booking is None:
        return []
    was_confirmed = booking.status == "confirmed"
    cancel_booking(session, booking_id, booking.user_id, now, settings, by="staff")
    if not was_confirmed or booking.user.unfollowed_at is not None:
        return []
    slot = booking.slot
    text = bt("staff_cancelled", when=when(slot.starts_at, slot.ends_at), name=slot.type.name, phone=phone)
    chips = [m.Choice(bt("label.book_new"), data={"a": "bk.types"}), r.mine_chip()]
    items = enqueue(
        session, booking.user_id, booking.user.line_user_id, [m.text(text, chips)], None, {"intent": "booking"}
    )
    return [i.id for i in items]
