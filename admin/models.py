"""Admin persistence: staff accounts (argon2 hashes, roles, lock-out) and the audit log of who changed what."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.platform.db import Base, utcnow

ROLES = ("admin", "staff", "coordinator")
ROLE_JA = {"admin": "管理者", "staff": "職員", "coordinator": "コーディネーター"}


class AdminUser(Base):
    """A person who signs in to the admin: an e-mail address, a role and an argon2 password hash."""

    __tablename__ = "admin_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str | None] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(12))  # admin | staff | coordinator
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    failed_attempts: Mapped[int] = mapped_column(default=0)
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")  # bumped to end every session
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def label(self) -> str:
        """How the user is shown: the name, else the e-mail address."""
        return self.name or self.email


class AuditLog(Base):
    """One change made in the admin (or a sign-in event): who, what, on which target, with details."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_created", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None]
    actor_email: Mapped[str | None] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(80))
    target: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    ip: Mapped[str | None] = mapped_column(String(64))
