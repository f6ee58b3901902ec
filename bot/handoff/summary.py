"""The triage summary a coordinator reads first: intent, slots collected and one short line of text.

Built from the recent transcript, because a guided path forgets its slots when it ends (the resident taps
「相談員に相談する」 after the answer card), while its tapped answers stay in the transcript as postbacks.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import parse_qsl

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.dialogue.flows.guided import load_paths
from bot.handoff.models import Handoff
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
    """{"intent", "slots", "text"} from the resident's messages of this case: the last two hours, since their last
    hand-off ended; tapped answers of the latest guided path only (`intent` wins if given)."""
    since = now - WINDOW
    ended = session.scalar(select(func.max(Handoff.closed_at)).where(Handoff.user_id == user_id))
    if ended is not None and ended > since:
        since = ended
    rows = session.scalars(
        select(Message)
        .where(Message.user_id == user_id, Message.direction == "in", Message.created_at >= since)
        .order_by(Message.created_at, Message.id)
        .limit(40)
    ).all()
    slots: dict = {}
    parts: list[str] = []  # the latest path's title and tapped answers
    typed: list[str] = []
    seen_intent = None
    for row in rows:
        if row.kind == "postback":
            parts = _path_answer(row.text or "", slots, parts)
        elif row.kind == "text" and row.text and normalize(row.text) not in SKIP_TEXTS:
            typed.append(row.text.strip())
            slots.update({k: v for k, v in extract_slots(row.text).items() if k != "date_words"})
        if row.intent and row.intent not in GENERIC_INTENTS:
            seen_intent = row.intent
    intent = intent or seen_intent or slots.get("path")
    parts += [clip(t, 60) for t in typed[-3:]]
    return {"intent": intent, "slots": slots, "text": clip("・".join(dict.fromkeys(parts)), MAX_TEXT)}


def _path_answer(data: str, slots: dict, parts: list[str]) -> list[str]:
    """The summary parts after one tap: opening another guided path starts afresh; a tapped answer of a path
    (a=step&f=PATH&s=STEP&v=VALUE) adds its title and label and is recorded in slots."""
    values = dict(parse_qsl(data))
    paths = load_paths()
    if values.get("a") == "path" and values.get("p") in paths and values.get("p") != slots.get("path"):
        slots.pop("steps", None)
        slots["path"] = values["p"]
        return []
    if values.get("a") != "step":
        return parts
    path = paths.get(values.get("f", ""))
    step = path.step(values.get("s", "")) if path else None
    option = next((o for o in step.options if o.value == values.get("v")), None) if step else None
    if option is None:
        return parts
    if slots.get("path") != path.id:
        slots.pop("steps", None)
        parts = []
    slots["path"] = path.id
    slots.setdefault("steps", {})[step.id] = option.value
    return [*parts, path.title.get("ja", path.id), option.labels.get("ja", option.value)]
