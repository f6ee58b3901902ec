"""Staff accounts: argon2 hashing, creation, sign-in with lock-out, password changes and the audit trail."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from admin.models import ROLES, AdminUser, AuditLog

MAX_FAILED_ATTEMPTS = 5
LOCK_MINUTES = 15
MIN_PASSWORD_LENGTH = 10
COMMON_PASSWORDS = Path(__file__).with_name("common_passwords.txt")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
HASHER = PasswordHasher()  # argon2id with the library defaults (RFC 9106 low-memory profile)
_dummy_hashes: dict[int, str] = {}


class AccountError(ValueError):
    """A refused account change; the message is shown to staff as is."""


@dataclass(frozen=True)
class SignIn:
    """The result of a sign-in attempt: the user on success, else why it failed."""

    user: AdminUser | None
    reason: str | None = None  # bad_credentials | locked (for the audit log: the page shows one text for both)


def dummy_hash() -> str:
    """A hash of no password with the current parameters: unknown accounts cost as much to refuse as real ones."""
    key = id(HASHER)
    if key not in _dummy_hashes:
        _dummy_hashes[key] = HASHER.hash("timing-equaliser-not-a-password")
    return _dummy_hashes[key]


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return HASHER.hash(password)


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of the commonest passwords (lower case)."""
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def check_password_rules(password: str, email: str | None = None) -> None:
    """Raise AccountError when a new password is too weak: short, among the commonest, or the address itself."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"パスワードは{MIN_PASSWORD_LENGTH}文字以上にしてください。")
    folded = password.strip().lower()
    if folded in common_passwords():
        raise AccountError("よく使われるパスワードは使えません。推測されにくいものにしてください。")
    address = (email or "").strip().lower()
    if address and folded in (address, address.split("@", 1)[0]):
        raise AccountError("メールアドレスと同じパスワードは使えません。")


def session_stamp(user: AdminUser) -> str:
    """A short value that changes with the password and on deactivation: old sessions end when it changes."""
    material = f"{user.password_hash}|{user.session_version}"
    return hashlib.sha256(material.encode()).hexdigest()[:16]


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
    check_password_rules(password, email)
    user = AdminUser(email=email, role=role, name=(name or "").strip() or None, password_hash=hash_password(password))
    session.add(user)
    session.flush()
    return user


def set_password(user: AdminUser, password: str, now: datetime) -> None:
    """Replace the password (which also ends the user's other sessions) and clear any lock."""
    check_password_rules(password, user.email)
    set_password_hash(user, hash_password(password), now)


def set_password_hash(user: AdminUser, password_hash: str, now: datetime) -> None:
    """Store a new password's hash (made outside the transaction) and clear any lock."""
    user.password_hash = password_hash
    user.password_changed_at = now
    clear_failures(user)


def is_locked(user: AdminUser, now: datetime) -> bool:
    """Whether sign-in is refused because of recent failures."""
    return user.locked_until is not None and user.locked_until > now


@dataclass(frozen=True)
class Attempt:
    """A sign-in attempt let through to the password check: whose hash to check, and whether it used the last try."""

    user_id: int | None  # None: refused before the check (the hash is a dummy, so the refusal costs the same)
    password_hash: str
    last_try: bool = False
    refusal: str = "bad_credentials"  # why a refused attempt failed, for the audit log only (never shown)


def begin_attempt(session: Session, email: str, now: datetime) -> Attempt:
    """Count a sign-in attempt before its password is checked (row lock on the account), so at most
    MAX_FAILED_ATTEMPTS guesses are ever checked, however many arrive at once. Unknown, inactive and locked
    accounts get an attempt against a dummy hash: every refusal costs the same and looks the same."""
    query = select(AdminUser).where(func.lower(AdminUser.email) == email.strip().lower()).with_for_update()
    user = session.scalar(query)
    if user is None or not user.active:
        return Attempt(None, dummy_hash())
    return reserve_attempt(user, now)


def reserve_attempt(user: AdminUser, now: datetime) -> Attempt:
    """Count one password check against a row the caller has locked; a locked account gets a dummy attempt."""
    if is_locked(user, now):
        return Attempt(None, dummy_hash(), refusal="locked")
    if user.locked_until is not None:  # an expired lock: a fresh set of tries
        user.failed_attempts, user.locked_until = 0, None
    user.failed_attempts += 1
    last_try = user.failed_attempts >= MAX_FAILED_ATTEMPTS
    if last_try:  # locked already, so parallel guesses are refused; the right password unlocks it again
        user.failed_attempts, user.locked_until = 0, now + timedelta(minutes=LOCK_MINUTES)
    return Attempt(user.id, user.password_hash, last_try)


def finish_attempt(session: Session, attempt: Attempt, password: str, ok: bool, now: datetime) -> SignIn:
    """Settle a checked attempt (in a second, short transaction): sign in and clear the count, or refuse."""
    if attempt.user_id is None:
        return SignIn(None, attempt.refusal)
    if not ok:
        return SignIn(None, "locked" if attempt.last_try else "bad_credentials")
    user = session.get(AdminUser, attempt.user_id, with_for_update=True)
    if user is None or not user.active or user.password_hash != attempt.password_hash:
        return SignIn(None, "bad_credentials")  # deactivated or re-keyed while the password was being checked
    clear_failures(user)
    user.last_login_at = now
    if HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return SignIn(user)


def clear_failures(user: AdminUser) -> None:
    """Forget counted failures and any lock (the right password was given)."""
    user.failed_attempts, user.locked_until = 0, None


def authenticate(session: Session, email: str, password: str, now: datetime) -> SignIn:
    """Check a password in one session (CLI and tests); the sign-in page runs the same steps around the check
    in two short transactions, so the slow hash never holds the database."""
    attempt = begin_attempt(session, email, now)
    return finish_attempt(session, attempt, password, verify_password(attempt.password_hash, password), now)


def deactivate(user: AdminUser) -> None:
    """Turn an account off and end every session it has (reactivating it later does not revive them)."""
    user.active = False
    user.session_version += 1


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
