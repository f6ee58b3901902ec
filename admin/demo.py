"""Demo data for `make demo`: an admin login (generated once, kept in ./var) and some bot activity to look at."""

from __future__ import annotations

import os
import secrets
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from admin.people import accounts
from bot.platform.db import utcnow
from bot.platform.models import LineUser, Message, OutboxItem
from knowledge.models import AnswerFeedback, FaqEntry, UnansweredQuestion

DEMO_EMAIL = "admin@example.org"
DEMO_COORDINATOR = "coordinator@example.org"
PASSWORD_FILE = Path("var") / "demo-admin-password.txt"
COORDINATOR_PASSWORD_FILE = Path("var") / "demo-coordinator-password.txt"
DEMO_RESIDENT = "U" + "d" * 32


def seed_demo_admin(session: Session, password_file: Path = PASSWORD_FILE) -> tuple[str, str]:
    """The demo admin's (email, password): created once, its password kept in ./var for the next runs."""
    return seed_demo_account(session, DEMO_EMAIL, "admin", "デモ管理者", password_file)


def seed_demo_coordinator(session: Session, password_file: Path = COORDINATOR_PASSWORD_FILE) -> tuple[str, str]:
    """The demo coordinator's (email, password), for the hand-off console."""
    return seed_demo_account(session, DEMO_COORDINATOR, "coordinator", "デモ コーディネーター", password_file)


def seed_demo_account(session: Session, email: str, role: str, name: str, password_file: Path) -> tuple[str, str]:
    """A demo login (email, password): created once, its password kept in `password_file` for the next runs."""
    password = password_file.read_text(encoding="utf-8").strip() if password_file.exists() else ""
    if len(password) < accounts.MIN_PASSWORD_LENGTH:
        password = secrets.token_urlsafe(12)
        password_file.parent.mkdir(parents=True, exist_ok=True)
        password_file.write_text(password + "\n", encoding="utf-8")
        os.chmod(password_file, 0o600)
    user = accounts.find_user(session, email)
    if user is None:
        accounts.create_user(session, email, role, password, name)
    elif not accounts.verify_password(user.password_hash, password) or not user.active or user.role != role:
        accounts.set_password(user, password, utcnow())
        user.active, user.role = True, role
    session.flush()
    return email, password


DEMO_QUESTIONS = (
    ("NPOを作りたい", "founding"),
    ("ボランティアをしたい", "volunteer"),
    ("駐車場はありますか", "centre_info"),
    ("解散の手続き", "dissolution"),
    ("企業と協働したい", "partnering"),
)
DEMO_UNANSWERED = (
    "子ども食堂の補助金はありますか",
    "子ども食堂 助成金",
    "会議室を借りたい",
    "会議室の予約",
    "印刷機を使いたい",
)


def seed_demo_activity(session: Session, today: date, days: int = 28) -> int:
    """A few weeks of made-up messages, feedback and unanswered questions from one demo resident (once)."""
    if session.scalar(select(LineUser.id).where(LineUser.line_user_id == DEMO_RESIDENT)):
        return 0
    faqs = {t: i for i, t in session.execute(select(FaqEntry.id, FaqEntry.topic).order_by(FaqEntry.id)).all()}
    user = LineUser(line_user_id=DEMO_RESIDENT, display_name="デモ利用者")
    session.add(user)
    session.flush()
    added = 0
    for offset in range(days):
        day = today - timedelta(days=offset)
        for n in range(2 + (offset * 7) % 9):
            at = datetime.combine(day, time(1 + n % 9, (7 * n) % 60), UTC)
            text, topic = DEMO_QUESTIONS[(offset + n) % len(DEMO_QUESTIONS)]
            answered = (offset + n) % 4 != 0
            faq_id = faqs.get(topic) if answered else None
            session.add_all(_exchange(user.id, text, topic, faq_id, at))
            if answered and n % 3 == 0:
                session.add(AnswerFeedback(faq_id=faq_id, user_id=user.id, helpful=n % 2 == 0, created_at=at))
            if not answered:
                wording = DEMO_UNANSWERED[(offset + n) % len(DEMO_UNANSWERED)]
                session.add(UnansweredQuestion(text=wording, reason="abstained", intent=topic, created_at=at))
            added += 2
        if offset % 3 == 0:
            at = datetime.combine(day, time(3), UTC)
            session.add(
                OutboxItem(
                    user_id=user.id,
                    line_user_id=user.line_user_id,
                    messages=[{"type": "text", "text": "ご予約は明日です。"}],
                    via="push",
                    status="sent",
                    retry_key=secrets.token_hex(16),
                    created_at=at,
                    sent_at=at,
                )
            )
    session.flush()
    return added


def _exchange(user_id: int, text: str, topic: str, faq_id: str | None, at: datetime) -> list[Message]:
    inbound = Message(
        user_id=user_id,
        direction="in",
        kind="text",
        text=text,
        intent=topic,
        confidence=0.8,
        faq_id=faq_id,
        created_at=at,
    )
    reply = Message(
        user_id=user_id,
        direction="out",
        kind="flex" if faq_id else "text",
        text=None,
        created_at=at + timedelta(seconds=1),
    )
    return [inbound, reply]
