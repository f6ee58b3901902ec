"""The LINE booking flow, driven through its entry points by tapping only the buttons the bot sends."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.booking import flow
from bot.booking.defaults import seed_demo
from bot.booking.models import Booking, WaitlistEntry
from bot.booking.steps import parse_day
from bot.platform.db import unit_of_work
from tests.booking.factories import NOW, Clock, make_slot
from tests.booking.linedriver import Resident


@pytest.fixture
def seeded(factory):
    """The default types and 8 weeks of demo slots from the frozen today."""
    with unit_of_work(factory) as s:
        seed_demo(s, NOW.date())
    return factory


def resident(factory, name: str = "a", clock: Clock | None = None) -> Resident:
    return Resident(factory, "U" + name.ljust(32, "0"), clock)


def bookings(factory, status: str | None = None) -> list[Booking]:
    with factory() as s:
        query = select(Booking).order_by(Booking.id)
        if status:
            query = query.where(Booking.status == status)
        return list(s.scalars(query))


def book_first_time(r: Resident, summary: str | None = "NPO法人みなと。会計の相談です") -> list[dict]:
    r.starts()
    r.taps(r.labels()[0])  # the first date
    r.taps(r.labels()[0])  # the first time
    if summary is None:
        r.taps("スキップ")
    else:
        r.says(summary)
    return r.taps("この内容で予約する")


def test_a_resident_books_and_cancels_by_tapping_buttons(seeded):
    r = resident(seeded)
    r.starts()
    assert "ボランタリー活動相談" in r.text() and "11/25(水)" in r.labels()
    assert "カレンダーから選ぶ" in r.labels() and "11/24(火)" not in r.labels()  # today is past the cutoff
    r.taps("11/25(水)")
    assert r.labels()[:4] == ["10:00〜11:00", "11:30〜12:30", "13:00〜14:00", "14:30〜15:30"]
    r.taps("13:00〜14:00")
    assert "仮押さえ" in r.text() and "スキップ" in r.labels()
    r.says("NPO法人みなと。会計の相談です")
    assert "ご予約内容の確認" in r.text() and "NPO法人みなと" in r.text()
    r.taps("この内容で予約する")
    text = r.text()
    assert "ご予約が確定しました" in text and "2026年11月25日(水) 13:00〜14:00" in text
    assert "横浜市庁舎1階" in text and "持ち物" in text and "11/24(火) 17:00まで" in text and "045-671-4732" in text
    [booking] = bookings(seeded, "confirmed")
    assert booking.summary == "NPO法人みなと。会計の相談です"
    r.taps("予約の確認・変更・キャンセル")
    assert r.last[0]["contents"]["type"] == "carousel"
    r.taps("キャンセルする")
    assert "キャンセルしますか" in r.text()
    r.taps("はい、キャンセルする")
    assert "キャンセルしました" in r.text()
    assert [b.status for b in bookings(seeded)] == ["cancelled"]
    r.taps("予約の確認・変更・キャンセル")
    assert "確定しているご予約はありません" in r.text()


def test_a_double_tap_on_confirm_makes_one_booking_and_says_so(seeded):
    r = resident(seeded)
    r.starts()
    r.taps(r.labels()[0])
    r.taps(r.labels()[0])
    r.taps("スキップ")
    button = r.action("この内容で予約する")
    r.tap(button)
    r.tap(button)
    assert "すでに確定しています" in r.text() and "予約番号" in r.text()
    assert len(bookings(seeded)) == 1


def test_a_time_that_filled_meanwhile_gets_a_clear_message_and_the_next_options(seeded):
    a, b = resident(seeded, "a"), resident(seeded, "b")
    for r in (a, b):
        r.starts()
        r.taps("11/25(水)")
    a.taps("10:00〜11:00")
    b.taps("10:00〜11:00")
    assert "満席" in b.text() and "11/25(水)" in b.labels() and "キャンセル待ちに登録" in b.labels()
    b.taps("キャンセル待ちに登録")
    assert "キャンセル待ちに登録しました" in b.text()
    with seeded() as s:
        assert s.scalar(select(func.count()).select_from(WaitlistEntry)) == 1
    b.taps("予約の確認・変更・キャンセル")
    assert "キャンセル待ちをやめる" in b.labels()
    b.taps("キャンセル待ちをやめる")
    assert "やめました" in b.text()


def test_an_expired_hold_cannot_be_confirmed_and_the_next_options_follow(seeded):
    clock = Clock()
    r = resident(seeded, clock=clock)
    r.starts()
    r.taps(r.labels()[0])
    r.taps(r.labels()[0])
    r.taps("スキップ")
    clock.advance(minutes=11)
    r.taps("この内容で予約する")
    assert "仮押さえの時間が過ぎた" in r.text() and "カレンダーから選ぶ" in r.labels()
    assert bookings(seeded, "confirmed") == []


def test_the_type_is_preselected_from_the_topic_and_the_answer_cards_button(seeded):
    r = resident(seeded)
    r.starts("dissolution")
    assert "NPO法人の解散" in r.text() and r.labels()[0] == "11/26(木)"
    r.starts("partnering")
    assert "他組織との連携" in r.text()
    r.taps("相談の種類を変える")
    r.taps("士業相談会（会計・労務）")
    assert "士業相談会" in r.text() and "12/8(火)" in r.labels()  # the 2nd Tuesday
    r.starts("founding")
    assert "ボランタリー活動相談" in r.text()


def test_the_date_picker_and_a_typed_date_both_lead_to_times(seeded):
    r = resident(seeded)
    r.starts()
    r.taps("カレンダーから選ぶ", date="2026-12-01")
    assert "2026年12月1日(火)の空いている時間" in r.text()
    r.taps("別の日にする")
    assert r.says("12/2") is not None and "2026年12月2日(水)" in r.text()
    r.taps("別の日にする")
    r.taps("カレンダーから選ぶ", date="2026-12-05")  # a Saturday: no slots
    assert "空きがありません" in r.text() and "12/7(月)" in r.labels()
    assert r.says("こんにちは") is None  # not for the flow: the dispatcher treats it as a question


def test_skipping_the_summary_by_typing(seeded):
    r = resident(seeded)
    r.starts()
    r.taps(r.labels()[0])
    r.taps(r.labels()[0])
    r.says("スキップ")
    assert "ご予約内容の確認" in r.text() and "ご相談内容" not in r.text()


def test_changing_the_date_keeps_the_summary_and_cancels_the_old_booking_when_confirmed(seeded):
    r = resident(seeded)
    book_first_time(r)
    r.taps("予約の確認・変更・キャンセル")
    r.taps("日時を変更する")
    assert "変更後の日時" in r.text()
    r.taps("12/1(火)")
    r.taps("10:00〜11:00")
    assert "ご予約内容の確認" in r.text() and "NPO法人みなと" in r.text()
    r.taps("この内容で予約する")
    assert "日時を変更しました" in r.text() and "2026年12月1日(火) 10:00〜11:00" in r.text()
    assert [b.status for b in bookings(seeded)] == ["cancelled", "confirmed"]


def test_after_the_deadline_the_resident_is_asked_to_call(seeded):
    clock = Clock()
    r = resident(seeded, clock=clock)
    book_first_time(r)  # 11/25 10:00, cancellable until 11/24 17:00
    r.taps("予約の確認・変更・キャンセル")
    clock.advance(hours=9)
    r.taps("キャンセルする")
    assert "期限を過ぎています" in r.text() and "045-671-4732" in r.text()
    assert len(bookings(seeded, "confirmed")) == 1


def test_the_per_user_limit_is_explained_at_the_start(seeded):
    r = resident(seeded)
    book_first_time(r)
    book_first_time(r)
    r.starts()
    assert "2件まで" in r.text() and "予約の確認・変更・キャンセル" in r.labels()


def test_stopping_lets_the_hold_go(factory):
    with unit_of_work(factory) as s:
        make_slot(s, "2026-12-01 10:00")
    r = resident(factory)
    r.starts()
    r.taps("12/1(火)")
    r.taps("10:00〜11:00")
    r.taps("やめる")
    assert "やめました" in r.text()
    assert [b.status for b in bookings(factory)] == ["expired"]
    other = resident(factory, "b")
    other.starts()
    assert "12/1(火)" in other.labels()


def test_no_free_slots_says_so_with_the_phone_number(factory):
    r = resident(factory)
    with unit_of_work(factory) as s:
        make_slot(s, "2026-12-01 10:00", code="shigyo")
    r.starts()
    assert "空き枠がありません" in r.text() and "045-671-4732" in r.text()


def test_garbled_or_foreign_buttons_are_handled_kindly(seeded):
    a, b = resident(seeded, "a"), resident(seeded, "b")
    book_first_time(a)
    a.taps("予約の確認・変更・キャンセル")
    cancel = a.action("キャンセルする")
    b.tap(cancel)  # someone else's booking id
    assert "見つかりませんでした" in b.text()
    b.tap({"type": "postback", "data": "a=bk.slot&id=abc"})
    assert "見つかりませんでした" in b.text()
    b.tap({"type": "postback", "data": "a=bk.nonsense"})
    assert "どの相談" in b.text()


def test_typed_dates_are_parsed_forward_from_today():
    today = NOW.date()
    assert parse_day("12/3", today).isoformat() == "2026-12-03"
    assert parse_day("１月５日", today).isoformat() == "2027-01-05"
    assert parse_day("2/30", today) is None and parse_day("予約したい", today) is None


def test_every_state_the_flow_sets_is_declared():
    assert {s.value for s in flow.State} == {"type", "date", "time", "summary", "confirm", "cancel"}
