"""The demo's residents in the chat simulator: each becomes an emulated LINE user with the chat stored so far.

Without this the simulator knows nobody at start, so a coordinator's reply to the waiting resident 「デモ 花子」
created a stranger (「利用者 de70」) with no history. Run after the demo data is seeded; idempotent.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.dialogue.flows.guided import load_paths
from bot.handoff.readable import remember_offered, rich_menu_labels, tapped_label
from bot.platform.models import LineUser, Message

HISTORY_LINES = 40  # the latest lines per resident: enough to see where the chat stands
FIRST_VISITOR = "U" + "0" * 28 + "f1e5"  # the simulator's first user: a fresh resident who has not followed yet


def demo_residents() -> tuple[str, ...]:
    """LINE ids of the residents the demo seeds (the waiting one first)."""
    from admin.demo import DEMO_RESIDENT
    from bot.handoff.demo import DEMO_USER

    return (DEMO_USER, DEMO_RESIDENT)


def seed_simulator_users(app: Flask, line_ids: tuple[str, ...] | None = None) -> int:
    """Put the seeded residents into the app's emulator with their history; returns how many were added."""
    from bot.line.emulator import store_for

    store, added, wanted = store_for(app), 0, list(line_ids or demo_residents())
    with store.lock:
        if not store.users:  # a visitor starts as someone new (not as a resident who is waiting for a person)
            store.user(FIRST_VISITOR).display_name = "新しい利用者"
    with app.extensions["madoguchi"].session_factory() as session:
        users = session.scalars(select(LineUser).where(LineUser.line_user_id.in_(wanted))).all()
        for user in sorted(users, key=lambda u: wanted.index(u.line_user_id)):
            name = user.display_name or f"利用者 {user.line_user_id[-4:]}"
            added += store.add_known_user(user.line_user_id, name, history(session, user.id))
    return added


def history(session: Session, user_id: int, limit: int = HISTORY_LINES) -> list[dict]:
    """The resident's latest stored lines as simulator timeline items, oldest first."""
    rows = session.scalars(
        select(Message)
        .where(Message.user_id == user_id, Message.kind.in_(("text", "postback", "flex", "template", "image")))
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(limit)
    ).all()
    offered = rich_menu_labels()  # postback data → the label the resident saw, as the console reads it
    return [item for row in reversed(rows) if (item := _item(row, offered)) is not None]


def tap_label(data: str, offered: dict[str, str]) -> str:
    """What the resident's tap showed in the chat: the button's label (a guided path's option by its own label)."""
    values = dict(parse_qsl(data))
    if values.get("a") == "step" and data not in offered:
        path = load_paths().get(values.get("f", ""))
        step = next((st for st in getattr(path, "steps", ()) if st.id == values.get("s")), None)
        option = next((o for o in getattr(step, "options", ()) if o.value == values.get("v")), None)
        if option is not None:
            return option.labels.get("ja", option.value)
    return tapped_label(data, offered).removeprefix("［ボタン］")


def _item(row: Message, offered: dict[str, str]) -> dict | None:
    at = row.created_at.isoformat(timespec="milliseconds") if row.created_at else None
    if row.direction == "in":
        if row.kind == "postback":
            text = tap_label(row.text or "", offered)
        elif row.kind == "text":
            text = row.text or ""
        else:
            return None
        return {"from": "user", "at": at, "message": {"type": "text", "text": text}}
    payload = row.payload if isinstance(row.payload, dict) and row.payload.get("type") else None
    if payload is not None:
        remember_offered(payload, offered)
        message = {k: v for k, v in payload.items() if k != "quickReply"}  # old chips are no longer tappable
    else:
        fallback = "（回答カード）" if row.kind == "flex" else "（ボットの返信）"
        message = {"type": "text", "text": row.text or fallback}
    return {"from": "bot", "at": at, "message": message}
