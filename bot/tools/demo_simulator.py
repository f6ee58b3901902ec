"""The demo's residents in the chat simulator: each becomes an emulated LINE user with the chat stored so far.

Without this the simulator knows nobody at start, so a coordinator's reply to the waiting resident 「デモ 花子」
created a stranger (「利用者 de70」) with no history. Run after the demo data is seeded; idempotent.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.handoff.readable import tapped_label
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
    return [item for row in reversed(rows) if (item := _item(row)) is not None]


def _item(row: Message) -> dict | None:
    at = row.created_at.isoformat(timespec="milliseconds") if row.created_at else None
    if row.direction == "in":
        if row.kind == "postback":
            text = tapped_label(row.text or "", {}).removeprefix("［ボタン］")
        elif row.kind == "text":
            text = row.text or ""
        else:
            return None
        return {"from": "user", "at": at, "message": {"type": "text", "text": text}}
    payload = row.payload if isinstance(row.payload, dict) and row.payload.get("type") else None
    if payload is not None:
        message = {k: v for k, v in payload.items() if k != "quickReply"}  # old chips are no longer tappable
    else:
        fallback = "（回答カード）" if row.kind == "flex" else "（ボットの返信）"
        message = {"type": "text", "text": row.text or fallback}
    return {"from": "bot", "at": at, "message": message}
