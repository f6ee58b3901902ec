"""Fault and abuse on the webhook: bodies generated from LINE's OpenAPI spec, hostile text, broken and huge bodies.

Properties, after every request: never a 500; every accepted event is stored whole or not at all (its
inbound_events row, and for a resident's event exactly one transcript line with the text as sent, and every
outbox item with one transcript line per message); a rejected request stores nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import logging
import uuid
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

import bot.line.webhook
import bot.pipeline
from bot.line.inbound import MAX_LENGTHS, clean_text
from bot.platform.models import InboundEvent, LineUser, Message, OutboxItem
from tests.support.events import SECRET, body, event, sign, text_event
from tests.support.openapi import from_component, load_schemas, resolve

SPEC = Path(__file__).resolve().parents[2] / "bot" / "line" / "emulator" / "spec" / "webhook.yml"
SCHEMAS = load_schemas(SPEC)
RESIDENTS = ["U" + c * 32 for c in "abc"]  # a few residents, so events land in existing conversations too
REALISTIC = {
    "Event": {"webhookEventId": {"type": "string", "pattern": "^[0-9A-Z]{26}$"}},
    "UserSource": {"userId": {"enum": RESIDENTS}},
}
TEXT_CONTENT = resolve(SCHEMAS, "TextMessageContent")
TEXT_CONTENT["properties"]["type"] = {"const": "text"}
SPEC_EVENTS = st.one_of(
    from_component(SCHEMAS, "Event", REALISTIC),  # any of the 19 event types
    from_component(
        SCHEMAS, "MessageEvent", {**REALISTIC, "MessageEvent": {"type": {"const": "message"}, "message": TEXT_CONTENT}}
    ),
    from_component(SCHEMAS, "PostbackEvent", {**REALISTIC, "PostbackEvent": {"type": {"const": "postback"}}}),
)
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)
HOSTILE_TEXT = st.text(
    st.one_of(
        st.characters(codec="utf-8"),  # anything, control characters and NUL included
        st.sampled_from("😀👩‍👩‍👧‍👦🇯🇵\u200d\ufe0f\u202e\u202d\u200f\u061c"),  # emoji sequences, bidi controls
        st.sampled_from("مرحبا שלום こんにちは 漢字 ｶﾀｶﾅ \t\r\n\x00\x1b\x7f\u2028\u2029"),
    ),
    max_size=300,
)


def factory(app):
    return app.extensions["madoguchi"].session_factory


def count(app, model) -> int:
    with factory(app)() as session:
        return session.scalar(select(func.count()).select_from(model))


def sign_bytes(raw: bytes) -> str:
    """X-Line-Signature for raw bytes."""
    return base64.b64encode(hmac.new(SECRET.encode(), raw, hashlib.sha256).digest()).decode()


def from_resident(raw: dict) -> bool:
    """Whether the bot treats the event as a resident's own (one-to-one) event."""
    source = raw.get("source")
    if not isinstance(source, dict):
        return False
    user_id = source.get("userId")
    return source.get("type") == "user" and isinstance(user_id, str) and user_id != ""


def accepted_so_far(app) -> dict[str, dict]:
    """Event id → the first event sent with it, across a test's examples (they share the database)."""
    if not hasattr(app, "accepted_events"):
        app.accepted_events = {}
    return app.accepted_events


def accept(accepted: dict[str, dict], events: list) -> None:
    """Note the events of a request answered 200 that the bot records (first one wins for an id)."""
    for raw in events:
        if isinstance(raw, dict) and isinstance(raw.get("webhookEventId"), str) and raw["webhookEventId"]:
            accepted.setdefault(clean_text(raw["webhookEventId"])[:64], raw)


def assert_stored_whole(app, accepted: dict[str, dict]) -> None:
    """The database invariants: every accepted event is stored whole, nothing is stored twice or half."""
    with factory(app)() as session:
        event_ids = set(session.scalars(select(InboundEvent.webhook_event_id)))
        incoming = {}
        for line in session.scalars(select(Message).where(Message.direction == "in")):
            assert line.webhook_event_id not in incoming, f"two transcript lines for {line.webhook_event_id}"
            incoming[line.webhook_event_id] = line
        assert set(incoming) <= event_ids, "a transcript line without its event"
        for event_id, raw in accepted.items():
            assert event_id in event_ids, f"accepted event {event_id} ({raw.get('type')}) was not recorded"
            assert (event_id in incoming) == from_resident(raw), raw
            message = raw.get("message") if raw.get("type") == "message" else None
            text = message.get("text") if isinstance(message, dict) and message.get("type") == "text" else None
            if from_resident(raw) and isinstance(text, str):
                line = incoming[event_id]
                kept = clean_text(text)[: MAX_LENGTHS["text"]]  # LINE's own limit: more is not from LINE
                assert (line.kind, line.text) == ("text", kept), "the text was not kept"
        lines_per_item = Counter(
            session.scalars(select(Message.outbox_id).where(Message.direction == "out", Message.outbox_id.is_not(None)))
        )
        for item in session.scalars(select(OutboxItem)):
            assert 1 <= len(item.messages) <= 5
            assert lines_per_item[item.id] == len(item.messages), "an outbox item without its transcript lines"


def assert_no_errors_logged(caplog) -> None:
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, errors


@FUZZ
@given(events=st.lists(SPEC_EVENTS, max_size=4))
def test_bodies_generated_from_the_spec_are_taken_whole(app, post_events, caplog, events):
    caplog.clear()
    accepted = accepted_so_far(app)
    for raw in events:
        if raw["deliveryContext"]["isRedelivery"] and accepted:
            raw["webhookEventId"] = list(accepted)[-1]  # LINE redelivers an event it sent before
        else:
            raw["webhookEventId"] = uuid.uuid4().hex[:26].upper()
    assert post_events(*events).status_code == 200
    accept(accepted, events)
    assert_stored_whole(app, accepted)
    assert_no_errors_logged(caplog)


def test_the_generated_bodies_are_valid_for_lines_spec():
    from bot.line.emulator.schema import validator

    check = validator("webhook.yml", "CallbackRequest")

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(events=st.lists(SPEC_EVENTS, max_size=3))
    def valid(events):
        payload = json.loads(body(*events))
        assert not [e.message for e in check.iter_errors(payload)]

    valid()


@FUZZ
@given(text=HOSTILE_TEXT)
def test_any_text_is_kept_as_sent_and_answered(app, post_events, caplog, text):
    caplog.clear()
    user = "U" + uuid.uuid4().hex
    raw = text_event(text, user_id=user)
    assert post_events(raw).status_code == 200
    assert_stored_whole(app, {raw["webhookEventId"]: raw})
    with factory(app)() as session:
        resident = session.scalar(select(LineUser.id).where(LineUser.line_user_id == user))
        replies = session.scalar(select(func.count()).select_from(OutboxItem).where(OutboxItem.user_id == resident))
    assert replies >= 1
    assert_no_errors_logged(caplog)


@pytest.mark.parametrize(
    "text",
    [
        "あ" * 5000,
        "😀👩‍👩‍👧‍👦" * 1500,
        "\u202eمرحبا بالعالم שלום עולם " * 300,
        "".join(chr(c) for c in range(32)) * 200,
        "NPO法人の設立について教えてください。" * 400 + "\x00",
    ],
    ids=["5000-kana", "emoji-zwj", "rtl-bidi", "control-chars", "20000-with-nul"],
)
def test_long_and_strange_texts_are_kept_and_answered(app, post_events, caplog, text):
    raw = text_event(text)
    assert post_events(raw).status_code == 200
    assert_stored_whole(app, {raw["webhookEventId"]: raw})
    assert count(app, OutboxItem) == 1
    assert_no_errors_logged(caplog)


@pytest.mark.parametrize("size", [5001, 20_000, 300_000], ids=["5001", "20000", "900KB"])
def test_a_text_longer_than_line_allows_is_cut_to_5000_characters_before_anything_reads_it(
    app, post_events, caplog, monkeypatch, size
):
    seen = []
    original = bot.pipeline.process_inbound

    def recording(session, ctx, inbound, **kwargs):
        seen.append(len(inbound.text))
        return original(session, ctx, inbound, **kwargs)

    monkeypatch.setattr(bot.pipeline, "process_inbound", recording)
    raw = text_event(("NPO法人の設立について教えてください。" * 50_000)[:size])
    assert post_events(raw).status_code == 200
    assert seen == [MAX_LENGTHS["text"]]
    with factory(app)() as session:
        stored = session.scalar(select(Message.text).where(Message.direction == "in"))
    assert stored == raw["message"]["text"][: MAX_LENGTHS["text"]]
    assert count(app, OutboxItem) == 1
    assert_no_errors_logged(caplog)


def test_json_escapes_that_no_database_stores_are_replaced_not_lost(app, post_events):
    raw = text_event("a\ud800b\x00c")  # a lone surrogate and NUL, as JSON escapes
    payload = json.dumps({"destination": "U" + "f" * 32, "events": [raw]})  # ensure_ascii: \\ud800, \\u0000
    assert post_events(raw=payload).status_code == 200
    with factory(app)() as session:
        assert session.scalar(select(Message.text).where(Message.direction == "in")) == "a\ufffdb\ufffdc"
    assert count(app, OutboxItem) == 1


@FUZZ
@given(raw=st.binary(max_size=2000))
def test_signed_garbage_is_refused_and_stores_nothing(app, raw):
    response = app.test_client().post("/callback", data=raw, headers={"X-Line-Signature": sign_bytes(raw)})
    assert response.status_code in (200, 400)  # 200 only for the rare JSON object with an events list
    if response.status_code == 400:
        assert count(app, InboundEvent) == 0


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)


def JUNK_OR(strategy):  # noqa: N802  (reads like a strategy constant)
    """A plausible value, or any JSON at all."""
    return strategy | JSON


EVENT_LIKE = st.fixed_dictionaries(
    {"webhookEventId": JUNK_OR(st.just("fresh"))},
    optional={
        "type": JUNK_OR(st.sampled_from(["message", "postback", "follow", "unfollow", "join", "unsend", "future"])),
        "source": JUNK_OR(
            st.fixed_dictionaries(
                {"type": JUNK_OR(st.sampled_from(["user", "group", "room"]))},
                optional={"userId": JUNK_OR(st.sampled_from(RESIDENTS)), "groupId": JSON},
            )
        ),
        "message": JUNK_OR(
            st.fixed_dictionaries(
                {"type": JUNK_OR(st.sampled_from(["text", "image", "sticker", "future"]))},
                optional={"id": JSON, "text": JUNK_OR(st.text(max_size=50)), "quoteToken": JSON, "emojis": JSON},
            )
        ),
        "postback": JUNK_OR(st.fixed_dictionaries({"data": JUNK_OR(st.text(max_size=30))}, optional={"params": JSON})),
        "replyToken": JSON,
        "timestamp": JUNK_OR(st.integers()),
        "mode": JUNK_OR(st.sampled_from(["active", "standby"])),
        "deliveryContext": JUNK_OR(st.fixed_dictionaries({"isRedelivery": JUNK_OR(st.booleans())})),
    },
)


@FUZZ
@given(payload=JSON, events=st.lists(EVENT_LIKE | JSON, max_size=4))
def test_malformed_events_are_skipped_or_taken_whole_never_a_500(app, post_events, caplog, payload, events):
    caplog.clear()
    assert post_events(raw=json.dumps(payload)).status_code in (200, 400)
    for raw in events:
        if isinstance(raw, dict) and raw.get("webhookEventId") == "fresh":
            raw["webhookEventId"] = uuid.uuid4().hex[:26].upper()
    response = post_events(raw=json.dumps({"destination": "U" + "f" * 32, "events": events}))
    assert response.status_code == 200  # events LINE would never send are skipped, one by one
    accept(accepted_so_far(app), events)
    assert_stored_whole(app, accepted_so_far(app))
    assert_no_errors_logged(caplog)


@pytest.mark.parametrize(
    "message",
    [
        {"type": "text", "text": "ボランティアを始めたい"},  # no id, no quoteToken: the SDK refuses it
        {"type": "text", "id": 12345, "text": "ボランティアを始めたい", "quoteToken": None},
        {"type": "text", "id": "1", "text": "ボランティアを始めたい", "quoteToken": "q", "emojis": "not a list"},
    ],
)
def test_a_text_the_sdk_cannot_read_is_still_kept_and_answered_as_text(app, post_events, message):
    raw = event("message", message=message)
    assert post_events(raw).status_code == 200
    assert_stored_whole(app, {raw["webhookEventId"]: raw})
    with factory(app)() as session:
        answer = session.scalars(select(Message.text).where(Message.direction == "out")).first()
    assert "文字のメッセージだけ" not in answer  # not mistaken for a sticker or an image


@pytest.mark.parametrize(("depth", "status"), [(200, 200), (5_000, 400), (200_000, 400)])
def test_deeply_nested_json_is_a_400_not_a_crash(app, post_events, depth, status):
    nested = '{"events": ' + "[" * depth + "]" * depth + "}"
    assert post_events(raw=nested).status_code == status  # 200: parsed, and the one "event" is skipped
    assert count(app, InboundEvent) == 0


class EndlessBody(io.RawIOBase):
    """A request body of `size` bytes that counts how much of it was read."""

    def __init__(self, size: int):
        self.size, self.position, self.read_bytes = size, 0, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = 0) -> int:
        self.position = {0: offset, 1: self.position + offset, 2: self.size + offset}[whence]
        return self.position

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self.size - self.position)
        buffer[:n] = b" " * n
        self.position += n
        self.read_bytes += n
        return n


@pytest.mark.parametrize("size", [1024 * 1024 + 1, 50 * 1024 * 1024])
def test_a_body_over_one_megabyte_is_a_413_without_reading_it(app, size):
    stream = EndlessBody(size)
    response = app.test_client().post(
        "/callback", input_stream=stream, headers={"Content-Type": "application/json", "X-Line-Signature": "x"}
    )
    assert response.status_code == 413
    assert stream.read_bytes == 0  # refused on Content-Length alone
    assert count(app, InboundEvent) == 0


def test_a_streamed_body_over_one_megabyte_is_a_413_after_at_most_the_limit(app):
    stream = EndlessBody(20 * 1024 * 1024)
    response = app.test_client().post(
        "/callback",
        input_stream=stream,
        headers={"Content-Type": "application/json", "X-Line-Signature": "x"},
        environ_overrides={"CONTENT_LENGTH": "", "wsgi.input_terminated": True},  # chunked, as gunicorn passes it
    )
    assert response.status_code == 413
    assert stream.read_bytes <= 1024 * 1024


def test_a_signed_body_just_under_the_limit_is_processed(app, post_events):
    events = [text_event("こんにちは")]
    padding = 1024 * 1024 - len(body(*events)) - 100
    payload = json.dumps({"destination": "U" + "f" * 32, "events": events, "pad": "x" * padding}, ensure_ascii=False)
    assert len(payload.encode()) < 1024 * 1024
    assert post_events(raw=payload).status_code == 200
    assert count(app, InboundEvent) == 1


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml"],
)
def test_the_content_type_does_not_matter_only_the_signature_does(app, content_type):
    raw = text_event("こんにちは")
    payload = body(raw)
    headers = {"X-Line-Signature": sign(payload)}
    if content_type:
        headers["Content-Type"] = content_type
    response = app.test_client().post("/callback", data=payload.encode(), headers=headers)
    assert response.status_code == 200
    assert_stored_whole(app, {raw["webhookEventId"]: raw})
    unsigned = app.test_client().post(
        "/callback", data=body(text_event("x")).encode(), headers={"Content-Type": "text/plain"}
    )
    assert unsigned.status_code == 400 and count(app, InboundEvent) == 1


@pytest.mark.parametrize(
    "signature",
    [None, "", "not base64!", sign("something else"), sign(body()).lower(), "A" * 10_000],
    ids=["missing", "empty", "not-base64", "other-body", "wrong-case", "huge"],
)
def test_a_missing_or_wrong_signature_is_a_400_and_stores_nothing(app, signature):
    payload = body(text_event("こんにちは"))
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Line-Signature"] = signature
    assert app.test_client().post("/callback", data=payload.encode(), headers=headers).status_code == 400
    assert count(app, InboundEvent) == 0 and count(app, Message) == 0 and count(app, LineUser) == 0


def test_a_body_that_is_not_utf8_is_a_400(app):
    raw = "こんにちは".encode("shift_jis")
    response = app.test_client().post("/callback", data=raw, headers={"X-Line-Signature": sign_bytes(raw)})
    assert response.status_code == 400


def test_when_handling_fails_the_event_and_the_message_are_kept_with_an_apology(app, post_events, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug in a handler")

    monkeypatch.setattr(bot.pipeline, "dispatch", broken)
    raw = text_event("ボランティアを始めたい")
    assert post_events(raw).status_code == 200
    assert_stored_whole(app, {raw["webhookEventId"]: raw})
    with factory(app)() as session:
        (apology,) = session.scalars(select(Message).where(Message.direction == "out"))
    assert "うまく処理できませんでした" in apology.text
    again = dict(raw, deliveryContext={"isRedelivery": True})
    assert post_events(again).status_code == 200
    assert count(app, Message) == 2  # the redelivery is not processed (nor apologised for) twice


def test_an_event_list_with_junk_between_good_events_takes_the_good_ones(app, post_events):
    good = [text_event("こんにちは"), event("follow", follow={"isUnblocked": False})]
    junk = [None, 1, "x", [], {}, {"webhookEventId": ""}, {"webhookEventId": 5}, {"type": "message"}]
    assert post_events(good[0], *junk, good[1]).status_code == 200
    assert_stored_whole(app, {e["webhookEventId"]: e for e in good})
