"""What the FAQ screens compute: form data, the LINE preview, 「試す」 results and the filtered list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from admin.content.preview import Preview, render_messages
from bot.dialogue.cards import entry_reply
from bot.platform.services import services
from knowledge.entries import REGISTERS, Entry, entry_from_dict
from knowledge.fusion import load_calibration
from knowledge.models import AnswerFeedback, FaqEntry, FaqRevision
from knowledge.search import KnowledgeIndex, Match
from knowledge.store import content_version, published_entries, row_to_entry

EXPIRING_DAYS = 30
THRESHOLDS = load_calibration()  # the learned cut-offs, shown beside 「試す」 results
LOW_RATING_MIN = 3
LOW_RATING_RATE = 0.5
TOPIC_JA = {
    "volunteer": "ボランティア",
    "founding": "設立・運営",
    "dissolution": "解散・継承",
    "partnering": "連携・協働",
    "centre_info": "センター案内",
    "referral": "他の窓口",
}
STATUS_JA = {"draft": "下書き", "published": "公開中", "archived": "公開停止"}
REGISTER_JA = {"ja": "日本語", "easy": "やさしい日本語", "en": "English"}
DECISION_JA = {"answer": "この回答を返す", "suggest": "「もしかして」で候補を出す", "abstain": "「わかりません」"}


def form_data(form, base_follow_up: dict | None = None) -> dict:
    """Entry data from the editor form (follow-up keys the form does not edit are kept)."""
    related = [r for r in form.get("related", "").replace(",", " ").split() if r]
    follow_up = {**(base_follow_up or {})}
    follow_up.update(booking=form.get("booking") or None, coordinator=form.get("coordinator") == "1", related=related)
    return {
        "id": form.get("id", "").strip(),
        "topic": form.get("topic", ""),
        "question": form.get("question", "").strip(),
        "question_en": form.get("question_en", "").strip(),
        "paraphrases": [p.strip() for p in form.get("paraphrases", "").splitlines() if p.strip()],
        "answer": _multiline(form, "answer"),
        "answer_easy": _multiline(form, "answer_easy"),
        "answer_en": _multiline(form, "answer_en"),
        "source": form.get("source", "").strip(),
        "follow_up": follow_up,
        "valid_from": form.get("valid_from") or None,
        "valid_until": form.get("valid_until") or None,
        "reviewed_at": form.get("reviewed_at") or None,
        "review_by": form.get("review_by") or None,
        "note": form.get("note", "").strip() or None,
    }


def _multiline(form, name: str) -> str:
    return form.get(name, "").replace("\r\n", "\n").strip()


def draft_entry(data: dict) -> Entry:
    """A servable Entry for previews, even for a new entry without an id yet."""
    return entry_from_dict({**data, "id": data.get("id") or "new.entry"})


def preview(session: Session, data: dict) -> tuple[list[tuple[str, str, Preview]], str | None]:
    """The LINE messages the bot would send for this content in each register (the bot's own builder), as
    (register, its name in the admin, preview), or why it cannot."""
    ctx = services().context
    try:
        entry = draft_entry(data)
    except ValueError as exc:
        return [], f"プレビューできません: {exc}"
    ctx.knowledge.get(session)  # related chips are labelled from the current index
    shown = [(lang, REGISTER_JA[lang], render_messages(entry_reply(ctx, entry, lang).messages)) for lang in REGISTERS]
    return shown, None


@dataclass(frozen=True)
class Trial:
    """「試す」: the top matches now and with the edit, and what the bot would do in each case."""

    question: str
    before: list[Match]
    after: list[Match]
    before_decision: str
    after_decision: str
    edited_id: str


def decision(matches: list[Match]) -> str:
    """What retrieval alone would make the bot do (answer / もしかして / わかりません), as the bot decides."""
    if not matches:
        return "abstain"
    best, cut = matches[0], load_calibration()
    if best.score >= cut.answer:
        return "answer"
    return "suggest" if best.score >= cut.suggest else "abstain"


def try_question(session: Session, data: dict, question: str) -> Trial:
    """Search the published entries, then the same with this edit published, for one question."""
    ctx = services().context
    today = ctx.today()
    before = ctx.knowledge.get(session).search(question, today, k=3)
    entry = draft_entry(data)
    entries = [e for e in published_entries(session) if e.id != entry.id] + [entry]
    after = KnowledgeIndex(entries, ctx.knowledge.glossary, examples=ctx.knowledge.examples)
    after = after.search(question, today, k=3)
    return Trial(question, before, after, decision(before), decision(after), entry.id)


def all_entries_index(session: Session) -> KnowledgeIndex:
    """An index over every stored entry (drafts and archived too) for the list search, cached per content version;
    it searches with the bot's labelled messages too, so a published entry ranks as the bot ranks it."""
    version = content_version(session)
    cached = current_app.extensions.get("admin_all_index")
    if cached and cached[0] == version:
        return cached[1]
    rows = session.scalars(select(FaqEntry).where(FaqEntry.question != ""))
    knowledge = services().context.knowledge
    index = KnowledgeIndex([row_to_entry(r) for r in rows], knowledge.glossary, examples=knowledge.examples)
    current_app.extensions["admin_all_index"] = (version, index)
    return index


@dataclass
class ListRow:
    """One line of the FAQ list."""

    row: FaqEntry
    has_draft: bool
    helpful: int
    unhelpful: int
    score: float | None = None

    @property
    def low_rating(self) -> bool:
        """Rated often enough, and mostly 「役に立たなかった」."""
        total = self.helpful + self.unhelpful
        return total >= LOW_RATING_MIN and self.helpful / total < LOW_RATING_RATE

    def review_due(self, today: date) -> bool:
        """Its review_by date has passed: staff should re-check the facts."""
        return bool(self.row.review_by and self.row.review_by < today)

    def expiring(self, today: date) -> bool:
        """Its validity ends within EXPIRING_DAYS (or has ended)."""
        return bool(self.row.valid_until and self.row.valid_until <= today + timedelta(days=EXPIRING_DAYS))


def list_rows(session: Session, q: str, topic: str, status: str, flag: str, today: date) -> list[ListRow]:
    """FAQ rows for the list: searched with the bot's retrieval when `q` is given, then filtered."""
    rows = {r.id: r for r in session.scalars(select(FaqEntry).order_by(FaqEntry.topic, FaqEntry.id))}
    drafts = _ids_with_drafts(session)
    ratings = _ratings(session)
    out = [ListRow(r, r.id in drafts or r.status == "draft", *ratings.get(r.id, (0, 0))) for r in rows.values()]
    if q.strip():
        scores = {m.entry.id: m.score for m in all_entries_index(session).search(q, None, k=20)}
        out = sorted((x for x in out if x.row.id in scores), key=lambda x: -scores[x.row.id])
        for x in out:
            x.score = scores[x.row.id]
    keep = {
        "expiring": lambda x: x.expiring(today),
        "review_due": lambda x: x.review_due(today),
        "low_rating": lambda x: x.low_rating,
        "": lambda x: True,
    }.get(flag, lambda x: True)
    return [
        x
        for x in out
        if (not topic or x.row.topic == topic)
        and (not status or x.row.status == status or (status == "pending" and x.has_draft))
        and keep(x)
    ]


def _ids_with_drafts(session: Session) -> set[str]:
    newer = session.execute(
        select(FaqRevision.faq_id, FaqRevision.version, FaqRevision.snapshot)
        .join(FaqEntry, FaqEntry.id == FaqRevision.faq_id)
        .where(FaqRevision.version > FaqEntry.version)
        .order_by(FaqRevision.faq_id, FaqRevision.version)
    )
    latest: dict[str, dict] = {}
    for faq_id, _version, snapshot in newer:
        latest[faq_id] = snapshot
    return {faq_id for faq_id, snap in latest.items() if snap.get("status") == "draft"}


def _ratings(session: Session) -> dict[str, tuple[int, int]]:
    rows = session.execute(
        select(
            AnswerFeedback.faq_id,
            func.sum(case((AnswerFeedback.helpful.is_(True), 1), else_=0)),
            func.sum(case((AnswerFeedback.helpful.is_(True), 0), else_=1)),
        ).group_by(AnswerFeedback.faq_id)
    )
    return {faq_id: (int(yes or 0), int(no or 0)) for faq_id, yes, no in rows}
