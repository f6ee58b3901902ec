"""Free-text messages: triage plus retrieval decide between an answer, もしかして, a redirect or 「わかりません」."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from bot.booking import flow as booking
from bot.booking.mine import my_bookings
from bot.dialogue.cards import entry_reply, fill_placeholders
from bot.dialogue.crisis import crisis_messages
from bot.dialogue.flows import guided
from bot.dialogue.menu import back_to_menu, main_menu, path_choice
from bot.dialogue.reply import Reply
from bot.dialogue.texts import t
from bot.line import messages as m
from bot.platform.context import BotContext
from bot.platform.models import Conversation
from intents import Triage, classify
from intents.classifier import names_topic
from intents.labels import topic_fits
from intents.specific import asks_specific, is_open_wish
from knowledge.fusion import Calibration
from knowledge.models import UnansweredQuestion
from knowledge.privacy import mask_personal_data
from knowledge.search import Match
from knowledge.text import normalize

GUIDE_CONFIDENCE = 0.6
CANDIDATES = 5  # an out-of-scope message looks this far for a referral entry
# 「お答えできません」 only on clear signs (住民票, 天気…); a message with no signs at all gets 「わかりません」.
OUT_OF_SCOPE_CONFIDENCE = 0.4
# A message this short (normalised) that only names a topic (「解散」「NPO」「ボランティア」) opens its path.
BARE_TOPIC_LENGTH = 6
# How booking works (「予約のやり方は？」「LINEから予約できる？」), not 「予約できますか？」 (a wish to book).
HOW_BOOKING_WORKS = re.compile(
    r"やり方|やりかた|方法|どうやって|どうすれば|どうしたら|仕方|しかた|手順|line|ライン|電話|でんわ|前日|当日|何日前|いつまで|"
    r"how (?:do|can|to)|by phone",
    re.I,
)
# Checking, changing or cancelling an existing booking; 「予約したい」 is a new booking, 「予約した日」 is not.
MANAGE_PATTERN = re.compile(
    r"キャンセル|きゃんせる|取り?消|確認|変更|変えたい|予約し(?:た(?!い)|てる|ている)|予約済|cancel|change", re.I
)


def suggestions(ctx: BotContext, matches: list[Match], lang: str, intent: str, confidence: float) -> Reply:
    """「もしかして」: the top matches' full questions as a tappable list; chips for a person and the menu."""
    options = [
        m.Choice(fill_placeholders(ctx, x.entry.question_for(lang)), data={"a": "faq", "id": x.entry.id})
        for x in matches[:3]
    ]
    chips = [m.Choice(t("label.human", lang), data={"a": "human"}), back_to_menu(lang)]
    message = m.option_list(t("answer.did_you_mean", lang), options, chips)
    return Reply([message], intent=intent, confidence=confidence, kind="suggest")


def dont_know(lang: str, intent: str | None, confidence: float) -> Reply:
    """The honest abstention: 「わかりません」 and the way to a person."""
    chips = [m.Choice(t("label.human", lang), data={"a": "human"}), *main_menu(lang)[:4], back_to_menu(lang)]
    return Reply(
        [m.text(t("answer.dont_know", lang), chips)],
        intent=intent,
        confidence=confidence,
        understood=False,
        kind="abstain",
    )


def log_unanswered(session: Session, text: str, reason: str, triage: Triage, best: Match | None) -> None:
    """Keep the question (masked) for staff's unanswered inbox."""
    session.add(
        UnansweredQuestion(
            text=mask_personal_data(text)[:1000],
            reason=reason,
            intent=triage.intent,
            best_faq_id=best.entry.id if best else None,
            score=best.score if best else None,
        )
    )


def answer_text(ctx: BotContext, session: Session, conversation: Conversation, text: str) -> Reply:
    """Reply to a free-text message from the bot's own knowledge, or say honestly that it does not know."""
    lang = conversation.user.language
    matches = ctx.knowledge.get(session).search(text, ctx.today(), k=CANDIDATES)
    best = matches[0] if matches else None
    triage = classify(text, best.entry.topic if best else None, best.score if best else 0.0)
    return _route(ctx, session, conversation, triage, matches, lang, text)


def _route(
    ctx: BotContext,
    session: Session,
    conversation: Conversation,
    triage: Triage,
    matches: list[Match],
    lang: str,
    text: str,
) -> Reply:
    best = matches[0] if matches else None
    intent, conf = triage.intent, triage.confidence
    if intent == "crisis":
        return Reply(
            crisis_messages(ctx, text, "urgent", lang), intent=intent, confidence=conf, handoff=True, kind="crisis"
        )
    if intent == "human":
        return contact_reply(ctx, lang, intent, conf)
    if intent == "greeting":
        key = _greeting_key(text.lower())
        return Reply([m.text(t(key, lang, centre=ctx.profile.name), main_menu(lang))], intent=intent, confidence=conf)
    cut = ctx.knowledge.get(session).calibration
    specific = asks_specific(text)
    if intent == "booking":
        if _asks_about_booking(text, triage, best, cut.answer):  # 「予約ってLINEからできる？」: answer, then the button
            return _answer(ctx, best, matches, cut.suggest, lang, intent)
        if MANAGE_PATTERN.search(text):
            reply = my_bookings(ctx, session, conversation)
        else:
            reply = booking.start(ctx, session, conversation, triage.slots.get("topic"))
        reply.intent, reply.confidence = intent, conf
        return reply
    # An out-of-scope message is only answered by a referral entry (「iPhoneの使い方」 is not 「このLINEの使い方」), the
    # first among the candidates even when an NPO's entries read closer (「株式会社の解散登記」).
    referrals = [x for x in matches if x.entry.topic == "referral"]
    if intent == "out_of_scope" and referrals and referrals[0].score >= cut.answer and not is_open_wish(text):
        return _answer(ctx, referrals[0], referrals, cut.suggest, lang, intent)
    fits = intent != "out_of_scope" or best is not None and best.entry.topic == "referral"
    bare = not specific and names_topic(text, intent) and len(normalize(text)) <= BARE_TOPIC_LENGTH
    if bare and intent in guided.GUIDED and not triage.alternatives:  # 「解散」「NPO」: narrow it down, don't guess
        return _guide(ctx, session, conversation, intent, conf, text)
    if best and best.score >= cut.answer and fits and (specific or not is_open_wish(text)):
        if chosen := choose_answer(matches, intent, cut):
            return _answer(ctx, chosen[0], chosen, cut.suggest, lang, intent)
    if intent == "out_of_scope" and fits and best.score >= cut.suggest:  # 「ひとり親で…話せる場」: where to turn
        log_unanswered(session, text, "low_confidence", triage, best)
        return suggestions(ctx, matches, lang, intent, best.score)
    if intent == "out_of_scope" and conf >= OUT_OF_SCOPE_CONFIDENCE:
        return Reply([m.text(t("out_of_scope", lang), main_menu(lang))], intent=intent, confidence=conf)
    guide = intent in guided.GUIDED and conf >= GUIDE_CONFIDENCE and not triage.alternatives
    if guide and not specific and (is_open_wish(text) or names_topic(text, intent)):
        # an open wish (「ボランティアしたい」) or a bare topic word (「解散」): the path
        return _guide(ctx, session, conversation, intent, conf, text)
    nothing_to_go_on = intent == "out_of_scope" and conf < OUT_OF_SCOPE_CONFIDENCE  # 「もにゃもにゃ」
    if best and best.score >= cut.suggest and not nothing_to_go_on:
        log_unanswered(session, text, "low_confidence", triage, best)
        return suggestions(ctx, matches, lang, intent, best.score)
    log_unanswered(session, text, "abstained", triage, best)
    if triage.alternatives and conf >= 0.3:
        chips = [path_choice(p, lang) for p in (intent, *triage.alternatives)] + [back_to_menu(lang)]
        text_ = t("answer.unsure_path", lang)
        return Reply([m.text(text_, chips)], intent=intent, confidence=conf, understood=False, kind="abstain")
    return dont_know(lang, intent, conf)


def choose_answer(matches: list[Match], intent: str, cut: Calibration) -> list[Match] | None:
    """The matches with the one to answer first: the best, unless its topic is not what the message wants (a
    founding card for 「子ども食堂で何かできたら」) and it is below the disagreement cut-off; then the intent's own
    best entry if it reaches the answer cut-off, else none (もしかして lists both)."""
    best = matches[0]
    if topic_fits(intent, best.entry.topic) or best.score >= cut.disagree:
        return matches
    own = next((x for x in matches if topic_fits(intent, x.entry.topic) and x.score >= cut.answer), None)
    return [own, *(x for x in matches if x is not own)] if own else None


def _asks_about_booking(text: str, triage: Triage, best: Match | None, answer_cut: float) -> bool:
    """A question about how booking works (not a wish to book, not a date): the knowledge base answers it."""
    if best is None or best.score < answer_cut or best.entry.topic != "centre_info":
        return False
    return bool(HOW_BOOKING_WORKS.search(text)) and not triage.slots.get("date_words")


def _answer(ctx: BotContext, best: Match, matches: list[Match], suggest: float, lang: str, intent: str) -> Reply:
    """The best entry's card; a close runner-up that answers something else is one tap away, and so is the path."""
    extra = [
        m.Choice(x.entry.question, data={"a": "faq", "id": x.entry.id}) for x in matches[1:2] if x.score >= suggest
    ]
    if best.entry.topic in guided.GUIDED:
        extra.append(path_choice(best.entry.topic, lang))
    # The reply keeps the triage's intent (what the resident wants), which already weighed the entry's topic: on
    # held-out dev messages where the two differ, the triage's is the labelled one 26 times and the topic's 8.
    return entry_reply(ctx, best.entry, lang, confidence=best.score, intent=intent, extra=extra)


BYE_WORDS = ("さようなら", "さよなら", "ばいばい", "バイバイ", "またね", "失礼します", "しつれいします", "bye")


def _greeting_key(text: str) -> str:
    if any(w in text for w in ("ありがと", "thank", "助かり", "たすかり", "助かっ")):
        return "greeting.thanks"
    return "greeting.bye" if any(w in text for w in BYE_WORDS) else "greeting.hello"


def _guide(ctx, session, conversation, intent: str, conf: float, text: str) -> Reply:
    reply = guided.start(ctx, session, conversation, intent, text)
    reply.confidence = conf
    return reply


def contact_reply(ctx: BotContext, lang: str, intent: str = "human", confidence: float | None = None) -> Reply:
    """How to reach a person at the centre (phone, hours, web form)."""
    p = ctx.profile
    body = t("human.contact", lang, centre=p.name, phone=p.phone, hours=p.hours_text, web_url=p.web_url)
    return Reply([m.text(body, [back_to_menu(lang)])], intent=intent, confidence=confidence, handoff=True)
