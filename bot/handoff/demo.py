"""Demo data: one resident waiting for a coordinator, with a short transcript (idempotent)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.handoff.models import Handoff
from bot.handoff.summary import build_summary
from bot.platform.models import Conversation, LineUser, Message

DEMO_USER = "U" + "de70" * 8
TRANSCRIPT = (
    ("in", "text", "NPO法人の解散について相談したいです", "dissolution", None),
    ("out", "text", "解散・継続のご相談ですね。どのような団体ですか？", "dissolution", None),
    ("in", "postback", "a=step&f=dissolution&s=kind&v=npo", "dissolution", None),
    ("out", "text", "いまの状況に近いのはどちらですか？", "dissolution", None),
    ("in", "postback", "a=step&f=dissolution&s=stage&v=considering", "dissolution", None),
    ("out", "flex", "NPO法人の解散を考え始めたら（回答カード）", "dissolution", "dissolution.npo_considering"),
    ("in", "postback", "a=fb&id=dissolution.npo_considering&v=0", None, None),
    ("out", "text", "お役に立てず申し訳ありません。相談員に直接ご相談いただくこともできます。", None, None),
    ("in", "postback", "a=human", "human", None),
    ("out", "text", "担当者におつなぎします。しばらくお待ちください（目安：15分ほど）。", "human", None),
    ("in", "text", "理事の間で意見が割れていて、どう進めたらいいかわかりません", None, None),
    ("out", "text", "メッセージを受け付けました。担当者が確認してお返事します。", "human", None),
)


def seed_demo(session: Session, now: datetime) -> Handoff:
    """Create the demo resident 「デモ 花子」 waiting for a coordinator (once; later calls return it)."""
    user = session.scalar(select(LineUser).where(LineUser.line_user_id == DEMO_USER))
    if user is not None:
        existing = session.scalar(select(Handoff).where(Handoff.user_id == user.id).order_by(Handoff.id.desc()))
        if existing is not None:
            return existing
    else:
        user = LineUser(line_user_id=DEMO_USER, display_name="デモ 花子", followed_at=now - timedelta(days=1))
        session.add(user)
        session.flush()
        session.add(Conversation(user_id=user.id, slots={}))
    start = now - timedelta(minutes=len(TRANSCRIPT))
    for i, (direction, kind, text, intent, faq_id) in enumerate(TRANSCRIPT):
        session.add(
            Message(
                user_id=user.id,
                direction=direction,
                kind=kind,
                text=text,
                intent=intent,
                faq_id=faq_id,
                created_at=start + timedelta(minutes=i),
            )
        )
    session.flush()
    conversation = session.scalar(select(Conversation).where(Conversation.user_id == user.id))
    conversation.mode = "waiting"
    summary = build_summary(session, user.id, now)
    handoff = Handoff(user_id=user.id, reason="unhelpful", summary=summary, created_at=now - timedelta(minutes=4))
    handoff.acknowledged_at = now - timedelta(minutes=1)
    session.add(handoff)
    session.flush()
    return handoff
