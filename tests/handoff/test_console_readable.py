"""A coordinator understands a case in ten seconds: the console shows what the resident saw and tapped, each bot
answer once and in short, and the bot's understanding of this case only, as Japanese labels."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from bot.handoff import service
from bot.handoff.models import Handoff
from bot.platform.db import unit_of_work, utcnow
from tests.handoff.console_support import mount_console
from tests.support.driver import WebhookUser
from tests.support.events import event


@pytest.fixture
def console(app):
    return mount_console(app)


def rich_menu_tap(user: WebhookUser, data: str) -> list[dict]:
    """Tap a rich menu area (its postback is in no message the bot sent)."""
    return user._send(event("postback", user_id=user.user_id, postback={"data": data}))


def transcript(page: str) -> str:
    return page.split('id="transcript"', 1)[1].split("</div>\n</div>", 1)[0]


def test_the_console_shows_taps_as_labels_each_answer_once_and_this_case_only(app, post_events, console):
    factory = app.extensions["madoguchi"].session_factory
    resident = WebhookUser(app, post_events)
    rich_menu_tap(resident, "a=path&p=dissolution")  # a first case, closed before the second
    resident.taps(resident.labels()[0])
    resident.says("相談員と話したい")
    with unit_of_work(factory) as s:
        first = s.scalar(select(Handoff.id))
        service.close(s, first, 7, "answered", utcnow())

    rich_menu_tap(resident, "a=path&p=volunteer")
    resident.taps("自分が参加したい")
    resident.says("青葉区")
    for _ in range(4):  # the remaining questions: the first choice each time, until the answer card
        if any(m["type"] == "flex" for m in resident.last):
            break
        resident.taps(resident.labels()[0])
    card = next(m for m in resident.last if m["type"] == "flex")
    resident.taps(next(label for label in resident.labels() if label in ("相談員に相談する", "相談員と話したい")))
    with factory() as s:
        second = s.scalar(select(Handoff.id).where(Handoff.id != first))

    page = console.page(f"/c/{second}")
    lines = transcript(page)
    assert "［ボタン］ボランティア" in lines and "［ボタン］自分が参加したい" in lines
    assert "a=path" not in lines and "a=step" not in lines and "p=volunteer" not in lines
    assert "・ボランティア\n" in lines and "・volunteer" not in lines  # what the bot understood, in Japanese
    body = _card_body(card)
    assert lines.count(body[:25]) == 1  # the answer card once (its alt text, not again its body)

    summary = page.split('id="summary-text">', 1)[1].split("</dd>", 1)[0]
    assert "ボランティア" in summary and "解散" not in summary  # this case only, not the closed one
    slots = page.split('id="summary-slots">', 1)[1].split("</dd>", 1)[0]
    assert "相談の分野：ボランティア" in slots and "どなたの活動のご相談ですか：自分が参加したい" in slots
    assert "{" not in slots and "=" not in slots and "steps" not in slots


def _card_body(card: dict) -> str:
    """The body text of an answer card (its second text block)."""
    texts = [node["text"] for node in card["contents"]["body"]["contents"] if node.get("type") == "text"]
    return texts[1]


def test_the_queue_says_urgent_once(console, app):
    from tests.handoff.factories import make_context, make_resident

    factory = app.extensions["madoguchi"].session_factory
    with unit_of_work(factory) as s:
        c = make_resident(s, "crisis")
        service.request(make_context(), s, c, "crisis", urgent=True)
        handoff_id = service.open_handoff(s, c.user_id).id
    queue = re.sub(r"<[^>]+>", "", console.page("/"))
    assert "緊急 危機の兆候" in queue and "緊急 緊急" not in queue
    page = re.sub(r"<[^>]+>", "", console.page(f"/c/{handoff_id}"))
    assert "危機の兆候（緊急）" in page and "緊急（危機の兆候）（緊急）" not in page
