"""Loading a resident and their conversation row, locked for the duration of one event."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from bot.models import Conversation, LineUser


def lock_conversation(session: Session, line_user_id: str) -> Conversation:
    """The user's conversation, created on first contact and locked (FOR UPDATE) until commit."""
    user = session.scalar(select(LineUser).where(LineUser.line_user_id == line_user_id))
    if user is None:
        try:
            with session.begin_nested():
                user = LineUser(line_user_id=line_user_id)
                session.add(user)
                session.flush()
                session.add(Conversation(user_id=user.id, slots={}))
                session.flush()
        except IntegrityError:  # another worker created the same user first
            user = session.scalar(select(LineUser).where(LineUser.line_user_id == line_user_id))
    conversation = session.scalars(select(Conversation).where(Conversation.user_id == user.id).with_for_update()).one()
    set_committed_value(conversation, "user", user)  # the identity map is weak: else `.user` is SELECTed again
    return conversation
