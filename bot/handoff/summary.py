"""The triage summary a coordinator reads first: intent, slots collected and one short line of text.

Built from the recent transcript, because a guided path forgets its slots when it ends (the resident taps
「相談員に相談する」 after the answer card), while its tapped answers stay in the transcript as postbacks.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import parse_qsl

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.dialogue.flows.guided import load_paths
from bot.line.messages import clip
from bot.platform.models import Message
from intents.slots import extract_slots
from knowledge.text import normalize

WINDOW = timedelta(hours=2)
GENERIC_INTENTS = ("human", "greeting", "coordinator")
MAX_TEXT = 120
SKIP_TEXTS = {
    normalize(w)
    for w in ("相談員と話したい", "人と はなしたい", "Talk to a person", "ボットに戻る", "最初に戻る", "メニュー")
}


def build_summary(session: Session, user_id: int, now: datetime, intent: str | None = None) -> dict:
    """{"intent", "slots", "text"} from the resident's messages of the last two hours (`intent` wins if given)."""
    rows = session.scalars(
        select(Message)
        .where(Message.user_id == user_id, Message.direction == "in", Message.created_at >= now - WINDOW)
        .order_by(Message.created_at, Message.id)
        .limit(40)
    ).all()
    slots: dict = {}
    parts: list[str] = []
    typed: list[str] = []
    seen_intent = None
    for row in rows:
        if row.kind == "postback":
            parts += _path_answer(row.text or "", slots)
        elif row.kind == "text" and row.text and normalize(row.text) not in SKIP_TEXTS:
            typed.append(row.text.strip())
            slots.update({k: v for k, v in extract_slots(row.text).items() if k != "date_words"})
        if row.intent and row.intent not in GENERIC_INTENTS:
            seen_intent = row.intent
    intent = intent or seen_intent or slots.get("path")
    parts += [clip(t, 60) for t in typed[-3:]]
    return {"intent": intent, "slots": slots, "text": clip("・".join(dict.fromkeys(parts)), MAX_TEXT)}


def _path_answer(data: str, slots: dict) -> list[str]:
    """Labels of a tapped guided-path answer (a=step&f=PATH&s=STEP&v=VALUE), recording it in slots."""
    values = dict(parse_qsl(data))
    if values.get("a") != "step":
        return []
    path = load_paths().get(values.get("f", ""))
    step = path.step(values.get("s", "")) if path else None
    option = next((o for o in step.options if o.value == values.get("v")), None) if step else None
    if option is None:
        return []
    if slots.get("path") != path.id:
        slots.pop("steps", None)
    slots["path"] = path.id
    slots.setdefault("steps", {})[step.id] = option.value
    return [path.title.get("ja", path.id), option.labels.get("ja", option.value)]
