"""A scheduled notice, sent by the worker's job through the LINE emulator's multicast: exactly the residents who
opted in to its topics (and wards) get it, once, in batches of at most 500, even when LINE fails or times out."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest
from sqlalchemy import select

from bot.handoff.queue import push_usage
from bot.line.gateway import LineGateway
from bot.line.messages import visible_text
from bot.notices.jobs import send_due_notices
from bot.notices.models import NoticeBatch, NoticeSubscription
from bot.platform.db import unit_of_work, utcnow
from bot.platform.models import LineUser, Setting
from tests.notices.clock import move_clock
from tests.notices.conftest import opt_in

TITLE = "NPO設立講座のご案内"
pytestmark = pytest.mark.usefixtures("mid_month")
MULTICAST = "/v2/bot/message/multicast"


def notices_received(live, resident, title: str = TITLE) -> list[dict]:
    """What LINE delivered to the resident by multicast with the notice's title."""
    return [
        e for e in live.emulator.inbox(resident.user) if e["via"] == "multicast" and title in visible_text(e["message"])
    ]


def used_this_month(live) -> int:
    """The console's push budget meter for this month."""
    with live.svc.session_factory() as s:
        return push_usage(s, utcnow().astimezone(live.svc.context.tz).date()).used


def dashboard_used(live) -> int:
    """The admin dashboard's push budget meter for this month."""
    from admin.insights.metrics import Period
    from admin.insights.metrics import push_usage as dashboard_usage

    today = utcnow().astimezone(live.svc.context.tz).date()
    with live.svc.session_factory() as s:
        ((_month, used, _budget),) = dashboard_usage(s, Period(today, today, live.svc.context.tz))
        return used


def test_a_scheduled_notice_reaches_exactly_the_opted_in_residents_of_its_topics_once(live):
    founding, funding, volunteer = live.resident(), live.resident(), live.resident()
    opt_in(founding, "団体の設立・運営")
    opt_in(funding, "助成金・資金", ward="中区")
    opt_in(volunteer, "ボランティア")
    stopped, blocked, never = live.resident(), live.resident(), live.resident()
    opt_in(stopped, "団体の設立・運営")
    stopped.says("配信停止")
    opt_in(blocked, "助成金・資金")
    assert live.emulator.call("POST", f"/users/{blocked.user}/unfollow")[0] == 200
    never.says("NPOをつくりたい")
    used, consumed, dashboard = used_this_month(live), live.line.consumption, dashboard_used(live)
    notice_id = live.add_notice(["founding", "funding"], in_minutes=30, link_url="https://example.org/seminar")

    assert send_due_notices(live.svc) == 0  # not due yet: nothing is sent
    assert all(not notices_received(live, r) for r in (founding, funding))
    move_clock(31)
    send_due_notices(live.svc)
    send_due_notices(live.svc)  # a second run sends nothing again

    for resident in (founding, funding):
        got = notices_received(live, resident)
        assert len(got) == 1, got
        text = visible_text(got[0]["message"])
        assert "https://example.org/seminar" in text and "「配信停止」" in text
    for resident in (volunteer, stopped, blocked, never):
        assert notices_received(live, resident) == []
    notice = live.notice(notice_id)
    assert (notice.status, notice.recipients, notice.delivered, notice.failed) == ("sent", 2, 2, 0)
    assert live.line.consumption - consumed == 2  # LINE counts one message per recipient
    assert used_this_month(live) - used == 2  # the push budget meters say the same
    assert dashboard_used(live) - dashboard == 2
    assert live.line.violations == []


def test_a_notice_for_a_ward_reaches_only_residents_who_chose_that_ward(live):
    naka, seya, anywhere = live.resident(), live.resident(), live.resident()
    opt_in(naka, "ボランティア", ward="中区")
    opt_in(seya, "ボランティア", ward="瀬谷区")
    opt_in(anywhere, "ボランティア")
    live.add_notice(["volunteer"], wards=["naka"], title="中区ボランティア講座")
    send_due_notices(live.svc)
    assert [len(notices_received(live, r, "中区ボランティア講座")) for r in (naka, seya, anywhere)] == [1, 0, 0]


def make_subscribers(live, count: int, topics: list[str], language: str = "ja") -> list[str]:
    """Many residents who opted in (rows as the chat stores them), faster than chatting 500 times."""
    ids = []
    with unit_of_work(live.svc.session_factory) as s:
        for _ in range(count):
            user = LineUser(line_user_id="U" + uuid.uuid4().hex, language=language, followed_at=utcnow())
            s.add(user)
            s.flush()
            s.add(NoticeSubscription(user_id=user.id, topics=topics, consented_at=utcnow(), history=[]))
            ids.append(user.line_user_id)
    return ids


def test_more_than_500_residents_go_in_several_multicasts_each_resident_once_in_their_language(live):
    with unit_of_work(live.svc.session_factory) as s:
        s.merge(Setting(key="push_monthly_budget", value=1000))  # a paid plan
    japanese = make_subscribers(live, 503, ["funding"])
    english = make_subscribers(live, 3, ["funding"], language="en")
    notice_id = live.add_notice(["funding"], title="助成金の締切")
    send_due_notices(live.svc)
    with live.svc.session_factory() as s:
        batches = s.scalars(select(NoticeBatch).where(NoticeBatch.notice_id == notice_id)).all()
    assert sorted((b.lang, b.size, b.status) for b in batches) == [
        ("en", 3, "sent"),
        ("ja", 3, "sent"),
        ("ja", 500, "sent"),
    ]
    with live.line.lock:
        got = [e for e in live.line.timeline if e["via"] == "multicast"]
    assert sorted(e["userId"] for e in got) == sorted(japanese + english)  # everyone exactly once
    footer = {e["userId"]: visible_text(e["message"]) for e in got}
    assert 'send "stop"' in footer[english[0]] and "「配信停止」と送って" in footer[japanese[0]]
    assert live.notice(notice_id).delivered == 506
    assert live.line.violations == []


def test_a_failed_multicast_is_retried_with_its_retry_key_and_delivered_once(live):
    residents = [live.resident() for _ in range(2)]
    for r in residents:
        opt_in(r, "解散・継続")
    notice_id = live.add_notice(["dissolution"], title="解散の相談会")
    live.emulator.fault(paths=[MULTICAST], status=500)
    send_due_notices(live.svc)
    assert all(notices_received(live, r, "解散の相談会") == [] for r in residents)
    assert live.notice(notice_id).status == "sending"
    move_clock(30)  # past the backoff
    send_due_notices(live.svc)
    assert [len(notices_received(live, r, "解散の相談会")) for r in residents] == [1, 1]
    assert live.notice(notice_id).delivered == 2


def test_when_line_accepted_but_the_answer_was_lost_the_retry_delivers_nothing_twice(live):
    residents = [live.resident() for _ in range(2)]
    for r in residents:
        opt_in(r, "協働・連携")
    notice_id = live.add_notice(["partnering"], title="協働フォーラム")
    consumed = live.line.consumption
    live.emulator.fault(paths=[MULTICAST], mode="timeout", delay_ms=2500, deliver=True)
    impatient = LineGateway(live.app.config["LINE_API_BASE"], live.app.config["LINE_CHANNEL_ACCESS_TOKEN"], timeout=1)
    send_due_notices(replace(live.svc, gateway=impatient))  # gives up after 1 s; LINE had delivered
    move_clock(30)
    send_due_notices(live.svc)  # same retry key: LINE answers 409
    assert [len(notices_received(live, r, "協働フォーラム")) for r in residents] == [1, 1]
    assert live.line.consumption - consumed == 2
    notice = live.notice(notice_id)
    assert (notice.status, notice.delivered, notice.failed) == ("sent", 2, 0)


def test_a_resident_who_stops_before_the_batch_goes_out_is_left_out(live):
    keeps, leaves = live.resident(), live.resident()
    opt_in(keeps, "ボランティア")
    opt_in(leaves, "ボランティア")
    live.add_notice(["volunteer"], title="ボランティア説明会")
    live.emulator.fault(paths=[MULTICAST], status=500)
    send_due_notices(live.svc)  # recipients fixed, the first attempt failed
    leaves.says("配信停止")
    move_clock(30)
    send_due_notices(live.svc)
    assert len(notices_received(live, keeps, "ボランティア説明会")) == 1
    assert notices_received(live, leaves, "ボランティア説明会") == []


def test_a_stop_soon_after_a_notice_counts_as_an_opt_out_it_caused(live):
    resident = live.resident()
    opt_in(resident, "団体の設立・運営")
    notice_id = live.add_notice(["founding"])
    send_due_notices(live.svc)
    (received,) = notices_received(live, resident)
    chips = {i["action"]["label"]: i["action"] for i in received["message"]["quickReply"]["items"]}
    resident.postback(chips["配信停止"]["data"])  # the chip under the notice
    notice = live.notice(notice_id)
    assert (notice.delivered, notice.optouts) == (1, 1)
    assert not live.subscription(resident).active


def test_a_non_retryable_refusal_counts_as_failed(live):
    resident = live.resident()
    opt_in(resident, "団体の設立・運営")
    notice_id = live.add_notice(["founding"])
    live.emulator.fault(paths=[MULTICAST], status=400)
    send_due_notices(live.svc)
    notice = live.notice(notice_id)
    assert (notice.status, notice.delivered, notice.failed) == ("sent", 0, 1)


def test_a_notice_that_would_now_go_over_the_push_budget_is_held_not_sent(live):
    residents = [live.resident() for _ in range(3)]
    for r in residents:
        opt_in(r, "ボランティア")
    with unit_of_work(live.svc.session_factory) as s:
        s.merge(Setting(key="push_monthly_budget", value=2))  # lowered (or used up) after it was scheduled
    notice_id = live.add_notice(["volunteer"], title="説明会")
    consumed = live.line.consumption
    send_due_notices(live.svc)
    notice = live.notice(notice_id)
    assert (notice.status, notice.recipients, notice.delivered) == ("held", 3, 0)
    assert live.line.consumption == consumed
    assert all(notices_received(live, r, "説明会") == [] for r in residents)


def test_two_notices_due_together_are_held_when_together_they_go_over_the_budget(live):
    residents = [live.resident() for _ in range(2)]
    for r in residents:
        opt_in(r, "ボランティア")
    with unit_of_work(live.svc.session_factory) as s:
        s.merge(Setting(key="push_monthly_budget", value=3))
    first, second = live.add_notice(["volunteer"], title="一つ目"), live.add_notice(["volunteer"], title="二つ目")
    send_due_notices(live.svc)
    assert (live.notice(first).status, live.notice(second).status) == ("sent", "held")


def test_a_batch_whose_retry_key_line_has_forgotten_is_not_sent_again(live):
    resident = live.resident()
    opt_in(resident, "ボランティア")
    notice_id = live.add_notice(["volunteer"], title="古い再送")
    live.emulator.fault(paths=[MULTICAST], mode="timeout", delay_ms=2500, deliver=True)
    impatient = LineGateway(live.app.config["LINE_API_BASE"], live.app.config["LINE_CHANNEL_ACCESS_TOKEN"], timeout=1)
    send_due_notices(replace(live.svc, gateway=impatient))  # LINE delivered; the answer was lost
    move_clock(25 * 60)  # the worker was down for a day: LINE has forgotten the retry key
    send_due_notices(live.svc)
    assert len(notices_received(live, resident, "古い再送")) == 1  # not a second time
    notice = live.notice(notice_id)
    assert (notice.status, notice.failed) == ("sent", 1)
