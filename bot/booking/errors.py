"""Known booking failures: each carries the text shown to the resident and what the flow should offer next."""

from __future__ import annotations


class BookingError(Exception):
    """A business failure the resident can act on (never a crash)."""

    text = "ご予約の手続きができませんでした。"

    def __init__(self, text: str | None = None, *, type_code: str | None = None, slot_id: int | None = None):
        super().__init__(text or self.text)
        self.text = text or self.text
        self.type_code = type_code
        self.slot_id = slot_id


class NotFound(BookingError):
    """The booking, slot or offer does not exist (or belongs to someone else)."""

    text = "このご予約は見つかりませんでした。"


class SlotFull(BookingError):
    """Every seat of the slot is taken (someone may have booked it a moment ago)."""

    text = "申し訳ありません。この時間はちょうど満席になりました。"


class BookingClosed(BookingError):
    """The slot is closed, past, or outside the booking window."""

    text = "この時間は予約の受付を終了しています。"


class HoldExpired(BookingError):
    """The 10-minute hold (or a waitlist offer) ran out before confirmation."""

    text = "仮押さえの時間が過ぎたため、この予約は確定できませんでした。"


class CancelDeadlinePassed(BookingError):
    """Cancelling or changing online is no longer possible; the resident must call."""

    text = "キャンセル・変更の受付期限を過ぎています。"


class TooManyBookings(BookingError):
    """The per-user limit of open bookings is reached."""

    text = "同時にお持ちいただける予約の数の上限に達しています。"


class Overlap(BookingError):
    """The resident already has a booking at an overlapping time."""

    text = "同じ時間帯に、すでに別のご予約があります。"


class AlreadyBooked(BookingError):
    """The resident already has a seat in this slot."""

    text = "この時間は、すでにご予約いただいています。"


class AlreadyDone(BookingError):
    """A second tap on a button whose action has already happened (confirm, cancel)."""

    def __init__(self, text: str, booking_id: int):
        super().__init__(text)
        self.booking_id = booking_id
