"""Staff accounts: argon2 hashing, creation, sign-in with lock-out, password changes and the audit trail."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from admin.models import ROLES, AdminUser, AuditLog

MAX_FAILED_ATTEMPTS = 5
LOCK_MINUTES = 15
MIN_PASSWORD_LENGTH = 10
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
HASHER = PasswordHasher()  # argon2id with the library defaults (RFC 9106 low-memory profile)
_DUMMY_HASH = HASHER.hash("timing-equaliser-not-a-password")


class AccountError(ValueError):
    """A refused account change; the message is shown to staff as is."""


@dataclass(frozen=True)
class SignIn:
    """The result of a sign-in attempt: the user on success, else why it failed."""

    user: AdminUser | None
    reason: str | None = None  # bad_credentials | locked


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return HASHER.hash(password)


def check_password_rules(password: str) -> None:
    """Raise AccountError when a new password is too weak."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"パスワードは{MIN_PASSWORD_LENGTH}文字以上にしてください。")


def session_stamp(user: AdminUser) -> str:
    """A short value that changes with the password: old sessions end when it changes."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def find_user(session: Session, email: str) -> AdminUser | None:
    """The user with this e-mail address (case-insensitive)."""
    return session.scalar(select(AdminUser).where(func.lower(AdminUser.email) == email.strip().lower()))


def create_user(session: Session, email: str, role: str, password: str, name: str | None = None) -> AdminUser:
    """Add a user after checking the address, the role and the password rules."""
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise AccountError("メールアドレスの形式が正しくありません。")
    if role not in ROLES:
        raise AccountError(f"役割は {', '.join(ROLES)} のいずれかです。")
    if find_user(session, email):
        raise AccountError("このメールアドレスはすでに登録されています。")
    check_password_rules(password)
    user = AdminUser(email=email, role=role, name=(name or "").strip() or None, password_hash=hash_password(password))
    session.add(user)
    session.flush()
    return user


def set_password(user: AdminUser, password: str, now: datetime) -> None:
    """Replace the password (which also ends the user's other sessions) and clear any lock."""
    check_password_rules(password)
    user.password_hash = hash_password(password)
    user.password_changed_at = now
    user.failed_attempts, user.locked_until = 0, None


def is_locked(user: AdminUser, now: datetime) -> bool:
    """Whether sign-in is refused because of recent failures."""
    return user.locked_until is not None and user.locked_until > now


def authenticate(session: Session, email: str, password: str, now: datetime) -> SignIn:
    """Check a password; count failures and lock the account for a while after too many."""
    user = find_user(session, email)
    if user is None or not user.active:
        verify_password(_DUMMY_HASH, password)  # same work as for a real account
        return SignIn(None, "bad_credentials")
    if is_locked(user, now):
        return SignIn(None, "locked")
    if not verify_password(user.password_hash, password):
        return SignIn(None, "locked" if register_failure(user, now) else "bad_credentials")
    user.failed_attempts, user.locked_until, user.last_login_at = 0, None, now
    if HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return SignIn(user)


def register_failure(user: AdminUser, now: datetime) -> bool:
    """Count a wrong password (at sign-in or when changing it); True when this one locked the account."""
    user.failed_attempts += 1
    if user.failed_attempts < MAX_FAILED_ATTEMPTS:
        return False
    user.locked_until = now + timedelta(minutes=LOCK_MINUTES)
    user.failed_attempts = 0
    return True


def logout_target(session_id: str) -> str:
    """The audit target of a sign-out: the signed-out session, which load_user then refuses."""
    return f"session {session_id}"


def session_signed_out(session: Session, user_id: int, session_id: str, since: datetime) -> bool:
    """Whether this sign-in session has been signed out (a copy of its cookie must not work afterwards)."""
    query = select(AuditLog.id).where(
        AuditLog.created_at >= since,  # the indexed column: only entries since the sign-in are read
        AuditLog.action == "logout",
        AuditLog.actor_id == user_id,
        AuditLog.target == logout_target(session_id),
    )
    return session.scalar(query.limit(1)) is not None


def verify_password(password_hash: str, password: str) -> bool:
    """Whether the password matches the hash (never raises)."""
    try:
        return HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def record(
    session: Session,
    actor: AdminUser | None,
    action: str,
    target: str | None = None,
    detail: dict | None = None,
    ip: str | None = None,
) -> AuditLog:
    """Add one audit-log row in the caller's transaction."""
    row = AuditLog(
        actor_id=actor.id if actor else None,
        actor_email=actor.email if actor else None,
        action=action,
        target=target,
        detail=detail or {},
        ip=ip,
    )
    session.add(row)
    return row
