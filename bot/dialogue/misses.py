"""Confident answers that missed, for staff's unanswered inbox: a card rated 「役に立たなかった」, or a card the
resident answered by asking the same question again right away.

A rephrase is the resident's next message, typed within REPHRASE_WINDOW of a card given to a typed question, that
    - is not small talk (thanks, greetings, a request for a person, the menu) nor a crisis, and does not announce
      a new question (「別の質問ですが」「もう一つ」),
    - and either says the answer missed (「そうじゃなくて」「違います」), or asks the same: the knowledge index answers
      it with the same card again, or its wording is close to the question's (weighted character bigrams: kanji
      and katakana count, hiragana endings little) — closer still when the index now answers it with another card,
      since a follow-up on the same theme (「NPO法人の設立に必要な書類は」 after 「…何人必要」) shares many words.
Each row keeps the question, the entry answered with and its register (ja / easy / en), and the rephrase.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import timedelta

from sqlalchemy import Row, bindparam, or_, select
from sqlalchemy.orm import Session

from bot.dialogue.reply import Reply
from bot.line.inbound import Inbound
from bot.platform.context import BotContext
from bot.platform.conversation import previous_message
from bot.platform.db import utcnow
from bot.platform.models import Conversation, Message
from knowledge.models import UnansweredQuestion
from knowledge.privacy import mask_personal_data

REPHRASE_WINDOW = timedelta(minutes=3)
SAME_WORDING = 0.45  # similarity at which a message asks what the previous one asked, when the bot is unsure of it
SAME_WORDING_NEW_ANSWER = 0.75  # …and when the index confidently answers it with another card
NOT_A_QUESTION = ("greeting", "human", "crisis")  # thanks, bye, hello; a person asked for; a crisis
MISSED = re.compile(
    r"^(?:いや|いえ|いいえ)?[、,\s]*(?:そう|それ)?(?:じゃ|では)な(?:く|い)|^(?:違|ちが)(?:う|います)(?!質問)|聞きたいのは|知りたいのは|"
    r"質問の意味|答えになって|not what i|that'?s not|wrong answer|^no,? i mean",
    re.I,
)
NEW_QUESTION = re.compile(
    r"(?:別|べつ|ほか|他)の(?:質問|こと|話)|(?:違う|ちがう)質問|もう(?:一|ひと)つ|another question", re.I
)


def record_unhelpful(ctx: BotContext, session: Session, conversation: Conversation, faq_id: str) -> None:
    """The resident tapped 「役に立たなかった」 under entry `faq_id`: keep the question it answered for the inbox."""
    asked = _asked_before(session, conversation.user_id, faq_id)
    if asked is None:
        return
    first = _first_reply(session, asked)
    if first is not None and first.kind == "text" and first.text:  # a path's result: its summary of the answers
        question = first.text.split("\n", 1)[0]
    elif asked.kind == "text":
        question = asked.text
    else:  # a tapped chip: the entry's own question
        ctx.knowledge.get(session)
        entry = ctx.knowledge.entry(faq_id)
        question = entry.question if entry else None
    if question:
        _log(session, question, "unhelpful", asked, conversation.user.language)


def note_rephrase(
    session: Session, conversation: Conversation, inbound: Inbound, reply: Reply | None, register: str
) -> None:
    """After a typed message is answered: when it rephrases the question the previous card answered, keep that
    question for the inbox. `register` is the resident's language before this message (the card's register)."""
    text = (inbound.text or "").strip()
    if reply is None or reply.intent is None or reply.intent in NOT_A_QUESTION or not text:
        return
    if conversation.first_contact:  # nothing came before it: no query
        return
    read = conversation.previous_message  # read while the row was locked (PostgreSQL), when it surely is the latest
    previous = read[0] if read is not None else _previous(session, conversation.user_id, inbound.webhook_event_id)
    if previous is None or previous.kind != "text" or not previous.faq_id or not previous.text:
        return
    if previous.first_reply_kind in (None, "text"):  # no reply, or a path's result (its summary first): no card
        return
    if is_rephrase(previous.text, text, previous.faq_id, reply.faq_id, confident=reply.kind == "answer"):
        _log(session, previous.text, "rephrased", previous, register, rephrase=text)


def is_rephrase(question: str, text: str, answered: str, answered_now: str | None, confident: bool) -> bool:
    """Whether `text`, sent right after a card (`answered`) for `question`, asks that question again."""
    if NEW_QUESTION.search(text):
        return False
    if MISSED.search(unicodedata.normalize("NFKC", text).strip()):
        return True
    if answered_now == answered:  # the index reads it as the same question: the same card again
        return True
    closeness = similarity(question, text)
    return closeness >= (SAME_WORDING_NEW_ANSWER if confident else SAME_WORDING)


def similarity(a: str, b: str) -> float:
    """Weighted Dice coefficient of the two texts' character bigrams (1.0 for the same wording)."""
    ga, gb = _bigrams(a), _bigrams(b)
    if not ga or not gb:
        return 0.0
    total = sum(map(_weight, ga)) + sum(map(_weight, gb))
    return 2 * sum(map(_weight, ga & gb)) / total


def _bigrams(text: str) -> frozenset[str]:
    kept = "".join(ch for ch in unicodedata.normalize("NFKC", text).lower() if unicodedata.category(ch)[0] in "LN")
    return frozenset(kept[i : i + 2] for i in range(len(kept) - 1))


def _weight(gram: str) -> float:
    if all("\u3040" <= ch <= "\u309f" for ch in gram):  # です, たい, ます: endings say little about the question
        return 0.2
    return 0.5 if gram.isascii() else 1.0


# Built once (the same every text event): the resident's latest message since `since` (but this event's), with the
# kind of the first message the bot sent after it, in one indexed read.
_LINES = Message.__table__
_LATEST_IN = previous_message(bindparam("user_id"), _LINES)
_OTHER_EVENT = or_(_LINES.c.webhook_event_id != bindparam("event_id"), _LINES.c.webhook_event_id.is_(None))
_PREVIOUS = {False: _LATEST_IN, True: _LATEST_IN.where(_OTHER_EVENT)}  # by whether there is an event id


def _previous(session: Session, user_id: int, event_id: str | None) -> Row | None:
    """The resident's message before this event, if it came within REPHRASE_WINDOW, and the kind of the bot's first
    message after it (`first_reply_kind`); read on the event's connection, without flushing its pending changes."""
    params = {"user_id": user_id, "since": utcnow() - REPHRASE_WINDOW, "event_id": event_id}
    return session.connection().execute(_PREVIOUS[bool(event_id)], params).first()


def _asked_before(session: Session, user_id: int, faq_id: str) -> Message | None:
    """The resident's latest message that entry `faq_id` answered (a typed question, a tapped chip or path step)."""
    with session.no_autoflush:
        query = select(Message).where(
            Message.user_id == user_id, Message.direction == "in", Message.faq_id == faq_id[:80]
        )
        return session.scalars(query.order_by(Message.created_at.desc(), Message.id.desc()).limit(1)).first()


def _first_reply(session: Session, asked: Message) -> Message | None:
    """The first message the bot sent after `asked`: an answer card, or a path's summary before its card."""
    with session.no_autoflush:
        query = select(Message).where(
            Message.user_id == asked.user_id,
            Message.created_at >= asked.created_at,
            Message.direction == "out",
            Message.id > asked.id,
        )
        return session.scalars(query.order_by(Message.created_at, Message.id).limit(1)).first()


def _log(session: Session, question: str, reason: str, asked: Message | Row, register: str, rephrase: str = "") -> None:
    session.add(
        UnansweredQuestion(
            text=mask_personal_data(question)[:1000],
            reason=reason,
            intent=asked.intent,
            best_faq_id=None,  # the inbox's suggestion must not be the entry that missed
            score=asked.confidence,
            answer_faq_id=asked.faq_id,
            answer_register=register if register in ("ja", "easy", "en") else "ja",
            rephrase=mask_personal_data(rephrase)[:1000] if rephrase else None,
        )
    )
