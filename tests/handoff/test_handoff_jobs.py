"""Worker jobs with a frozen clock: notify once by e-mail, escalate in time, return silent conversations."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from bot.handoff import jobs, service
from bot.handoff.models import Handoff
from bot.handoff.notify import NotifySettings, notify_settings
from bot.handoff.queue import push_usage
from bot.line.messages import visible_text
from bot.platform.db import unit_of_work, utcnow
from bot.platform.models import Conversation, Message, OutboxItem, Setting
from tests.conftest import free_port
from tests.handoff.factories import Clock, at, make_context, make_resident, make_services


def settings_for(port: int, **extra) -> NotifySettings:
    values = {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(port),
        "SMTP_FROM": "madoguchi@example.jp",
        "HANDOFF_NOTIFY_TO": "duty1@example.jp, duty2@example.jp",
        "HANDOFF_ESCALATE_TO": "chief@example.jp",
        "HANDOFF_CONSOLE_URL": "https://madoguchi.example.jp/admin/console/",
        **extra,
    }
    return notify_settings(values, env={})


def open_handoff(factory, when, urgent: bool = False, text: str = "") -> int:
    """A waiting hand-off requested at local time `when`; returns its id."""
    with unit_of_work(factory) as s:
        c = make_resident(s)
        service.request(make_context(Clock(when)), s, c, "crisis" if urgent else "asked", urgent=urgent)
        handoff = service.open_handoff(s, c.user_id)
        if text:
            handoff.summary = {**handoff.summary, "text": text}
        return handoff.id


def test_a_new_handoff_is_mailed_to_the_coordinators_on_duty_once(factory, smtp):
    port, mailbox = smtp
    handoff_id = open_handoff(factory, at("2026-11-24 10:00"), text="解散・NPO法人・連絡先 045-111-2222")
    svc = make_services(factory)
    assert jobs.notify_new(svc, at("2026-11-24 10:00"), settings_for(port)) == 1
    assert jobs.notify_new(svc, at("2026-11-24 10:01"), settings_for(port)) == 0
    assert len(mailbox.messages) == 1
    recipients, subject, body = mailbox.messages[0]
    assert recipients == ["duty1@example.jp", "duty2@example.jp"]
    assert f"LINE相談 #{handoff_id}" in subject and "相談員を希望" in subject
    assert f"https://madoguchi.example.jp/admin/console/c/{handoff_id}" in body
    assert "解散・NPO法人" in body and "045-111-2222" not in body  # phone numbers are masked


def test_the_worker_fills_in_the_line_profile_name_for_the_console(factory):
    handoff_id = open_handoff(factory, at("2026-11-24 10:00"))
    jobs.notify_new(make_services(factory), at("2026-11-24 10:00"), NotifySettings())
    with factory() as s:
        assert s.get(Handoff, handoff_id).user.display_name == "LINE 太郎"


def test_a_failed_mail_is_tried_again_on_the_next_run(factory, smtp):
    port, mailbox = smtp
    open_handoff(factory, at("2026-11-24 10:00"))
    svc = make_services(factory)
    assert jobs.notify_new(svc, at("2026-11-24 10:00"), settings_for(free_port())) == 0  # nobody listens there
    with factory() as s:
        assert s.scalar(select(Handoff.notified_at)) is None
    assert jobs.notify_new(svc, at("2026-11-24 10:01"), settings_for(port)) == 1
    assert len(mailbox.messages) == 1


def test_without_smtp_settings_the_notice_is_logged_not_retried_forever(factory):
    open_handoff(factory, at("2026-11-24 10:00"))
    svc = make_services(factory)
    assert jobs.notify_new(svc, at("2026-11-24 10:00"), NotifySettings()) == 1
    assert jobs.notify_new(svc, at("2026-11-24 10:01"), NotifySettings()) == 0


def test_a_line_group_is_pushed_and_counted_against_the_budget(factory, smtp):
    port, _ = smtp
    open_handoff(factory, at("2026-11-24 10:00"))
    svc = make_services(factory)
    jobs.notify_new(svc, at("2026-11-24 10:00"), settings_for(port, HANDOFF_LINE_GROUP_ID="C" + "1" * 32))
    assert len(svc.gateway.pushes) == 1 and svc.gateway.pushes[0][0] == "C" + "1" * 32
    with factory() as s:
        assert push_usage(s, at("2026-11-24 10:00").date()).used == 1


def test_unpicked_handoffs_escalate_after_fifteen_open_minutes(factory, smtp):
    port, mailbox = smtp
    open_handoff(factory, at("2026-11-20 19:55"))  # Friday, five minutes before closing
    svc = make_services(factory)
    assert jobs.escalate_unpicked(svc, at("2026-11-20 23:00"), settings_for(port)) == 0
    assert jobs.escalate_unpicked(svc, at("2026-11-21 09:09"), settings_for(port)) == 0
    assert jobs.escalate_unpicked(svc, at("2026-11-21 09:10"), settings_for(port)) == 1
    assert jobs.escalate_unpicked(svc, at("2026-11-21 09:30"), settings_for(port)) == 0
    recipients, subject, _body = mailbox.messages[0]
    assert recipients == ["chief@example.jp"] and "【未対応】" in subject


def test_urgent_handoffs_escalate_after_five_minutes_at_any_hour(factory, smtp):
    port, mailbox = smtp
    open_handoff(factory, at("2026-11-21 23:00"), urgent=True)
    svc = make_services(factory)
    assert jobs.escalate_unpicked(svc, at("2026-11-21 23:04"), settings_for(port)) == 0
    assert jobs.escalate_unpicked(svc, at("2026-11-21 23:05"), settings_for(port)) == 1
    assert mailbox.messages[0][1].startswith("【緊急】【未対応】")


def test_a_taken_handoff_does_not_escalate_and_the_minutes_are_a_setting(factory, smtp):
    port, _ = smtp
    taken = open_handoff(factory, at("2026-11-24 10:00"))
    open_handoff(factory, at("2026-11-24 10:00"))
    with unit_of_work(factory) as s:
        service.assign(s, taken, 7, at("2026-11-24 10:01"))
        s.add(Setting(key="handoff.escalate_minutes", value=30))
    svc = make_services(factory)
    assert jobs.escalate_unpicked(svc, at("2026-11-24 10:20"), settings_for(port)) == 0
    assert jobs.escalate_unpicked(svc, at("2026-11-24 10:30"), settings_for(port)) == 1


def age(factory, handoff_id: int, hours: float) -> None:
    """Move the hand-off and its resident's messages `hours` into the past."""
    with unit_of_work(factory) as s:
        handoff = s.get(Handoff, handoff_id)
        past = utcnow() - timedelta(hours=hours)
        handoff.created_at = past
        handoff.assigned_at = past if handoff.assigned_at else None
        s.execute(update(Message).where(Message.user_id == handoff.user_id).values(created_at=past))


def test_a_silent_conversation_returns_to_the_bot_after_72_hours_with_a_notice(factory):
    handoff_id = open_handoff(factory, at("2026-11-24 10:00"))
    with unit_of_work(factory) as s:
        service.send_coordinator_message(s, handoff_id, 7, "ご連絡お待ちしています", utcnow())
    age(factory, handoff_id, 71)
    svc = make_services(factory)
    assert jobs.auto_return_silent(svc, utcnow()) == 0
    age(factory, handoff_id, 73)
    assert jobs.auto_return_silent(svc, utcnow()) == 1
    assert jobs.auto_return_silent(svc, utcnow()) == 0
    with factory() as s:
        handoff = s.get(Handoff, handoff_id)
        assert (handoff.status, handoff.outcome) == ("closed", "auto_returned")
        assert s.scalar(select(Conversation.mode).where(Conversation.user_id == handoff.user_id)) == "bot"
    texts = [visible_text(m) for _to, messages, _key in svc.gateway.pushes for m in messages]
    assert any("ボットの自動案内に戻りました" in t for t in texts)


def test_an_unanswered_request_apologises_and_gives_the_phone_when_it_returns(factory):
    handoff_id = open_handoff(factory, at("2026-11-24 10:00"))
    with unit_of_work(factory) as s:
        s.add(Setting(key="handoff.silence_hours", value=24))
    age(factory, handoff_id, 25)
    svc = make_services(factory)
    assert jobs.auto_return_silent(svc, utcnow()) == 1
    with factory() as s:
        item = s.scalar(select(OutboxItem).order_by(OutboxItem.id.desc()))
        assert "申し訳ありません" in visible_text(item.messages[0]) and "045-671-4732" in visible_text(item.messages[0])
        assert item.status == "sent" and item.via == "push"


def test_settings_come_from_config_then_the_environment():
    env = {"SMTP_HOST": "mail.example.jp", "HANDOFF_NOTIFY_TO": "a@example.jp,b@example.jp", "SMTP_PORT": "587"}
    settings = notify_settings({"SMTP_HOST": "", "HANDOFF_ESCALATE_TO": ["c@example.jp"]}, env=env)
    assert (settings.smtp_host, settings.smtp_port) == ("mail.example.jp", 587)
    assert settings.notify_to == ("a@example.jp", "b@example.jp") and settings.escalate_to == ("c@example.jp",)


def test_jobs_are_listed_with_their_intervals():
    assert {job.__name__ for job, _ in jobs.JOBS} == {"notify_new", "escalate_unpicked", "auto_return_silent"}
