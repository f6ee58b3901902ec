"""Telling coordinators: e-mail over SMTP (smtplib) and, optionally, a push to a LINE group of staff.

Settings come from the app config when the caller has it, and from the environment for keys it lacks:
SMTP_HOST, SMTP_PORT (25), SMTP_FROM, SMTP_USER, SMTP_PASSWORD, SMTP_STARTTLS ("1"), HANDOFF_NOTIFY_TO and
HANDOFF_ESCALATE_TO (comma lists), HANDOFF_LINE_GROUP_ID, HANDOFF_CONSOLE_URL (link in the notices).
Notices carry no LINE ids and mask phone numbers and e-mail addresses in the summary.
"""

from __future__ import annotations

import logging
import os
import smtplib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from bot.line import messages as m
from bot.line.gateway import SendError
from knowledge.privacy import mask_personal_data

log = logging.getLogger(__name__)
TOKYO = ZoneInfo("Asia/Tokyo")
RETRY_NAMESPACE = uuid.UUID("6f1c4f0e-2d43-4c55-9a55-3b1d0c7e4a11")


@dataclass(frozen=True)
class NotifySettings:
    """Where notices go and how to reach the SMTP server."""

    smtp_host: str = ""
    smtp_port: int = 25
    smtp_from: str = "madoguchi@localhost"
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    notify_to: tuple[str, ...] = ()
    escalate_to: tuple[str, ...] = ()
    line_group_id: str = ""
    console_url: str = ""


def _emails(value) -> tuple[str, ...]:
    items = value if isinstance(value, list | tuple) else str(value or "").split(",")
    return tuple(a.strip() for a in items if a and a.strip())


def notify_settings(config: Mapping, env: Mapping | None = None) -> NotifySettings:
    """NotifySettings from a config mapping; keys it lacks (or leaves empty) come from the environment."""
    env = os.environ if env is None else env

    def get(key: str, default: str = "") -> str:
        value = config.get(key)
        return str(value if value not in (None, "") else env.get(key) or default)

    return NotifySettings(
        smtp_host=get("SMTP_HOST"),
        smtp_port=int(get("SMTP_PORT", "25")),
        smtp_from=get("SMTP_FROM", "madoguchi@localhost"),
        smtp_user=get("SMTP_USER"),
        smtp_password=get("SMTP_PASSWORD"),
        smtp_starttls=get("SMTP_STARTTLS").lower() in ("1", "true", "yes"),
        notify_to=_emails(config.get("HANDOFF_NOTIFY_TO") or env.get("HANDOFF_NOTIFY_TO")),
        escalate_to=_emails(config.get("HANDOFF_ESCALATE_TO") or env.get("HANDOFF_ESCALATE_TO")),
        line_group_id=get("HANDOFF_LINE_GROUP_ID"),
        console_url=get("HANDOFF_CONSOLE_URL").rstrip("/"),
    )


@dataclass(frozen=True)
class Notice:
    """What coordinators are told about one hand-off (plain data, read inside the transaction)."""

    handoff_id: int
    kind: str  # new | escalation
    urgent: bool
    reason: str
    summary: str
    created_at: datetime
    waited_minutes: int = 0

    def subject(self) -> str:
        """The e-mail subject (and first line of the LINE notice)."""
        head = "【緊急】" if self.urgent else ""
        if self.kind == "escalation":
            return f"{head}【未対応】LINE相談 #{self.handoff_id} が{self.waited_minutes}分対応待ちです"
        return f"{head}LINE相談 #{self.handoff_id}：相談員への引き継ぎ（{self.reason}）"

    def body(self, console_url: str) -> str:
        """The notice text: when, why, the masked summary and the console link."""
        when = self.created_at.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M")
        lines = [self.subject(), f"受付：{when}", f"理由：{self.reason}", f"概要：{mask_personal_data(self.summary)}"]
        if console_url:
            lines.append(f"対応画面：{console_url}/c/{self.handoff_id}")
        lines.append("（個人情報保護のため、内容の詳細は対応画面でご確認ください）")
        return "\n".join(lines)


def send_email(settings: NotifySettings, to: tuple[str, ...], subject: str, body: str) -> bool:
    """Send one plain-text e-mail; True when sent or when e-mail is not configured (nothing to retry)."""
    if not settings.smtp_host or not to:
        log.info("hand-off e-mail not sent (no SMTP_HOST or recipients): %s", subject)
        return True
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = settings.smtp_from, ", ".join(to), subject
    msg.set_content(body)
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=15) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password)
            smtp.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("hand-off e-mail %r failed: %s", subject, exc)
        return False
    return True


def push_group(settings: NotifySettings, gateway, notice: Notice) -> bool:
    """Push the notice to the staff LINE group (stable retry key per notice); False when not sent."""
    if not settings.line_group_id:
        return False
    key = str(uuid.uuid5(RETRY_NAMESPACE, f"handoff-{notice.handoff_id}-{notice.kind}-{notice.urgent}"))
    try:
        gateway.push(settings.line_group_id, [m.text(notice.body(settings.console_url))], key)
    except SendError as exc:
        if exc.status == 409:  # this retry key was accepted before
            return True
        log.warning("hand-off LINE group notice failed: %s", exc)
        return False
    return True


def send_notice(settings: NotifySettings, gateway, notice: Notice) -> tuple[bool, bool]:
    """E-mail (new → HANDOFF_NOTIFY_TO, escalation → HANDOFF_ESCALATE_TO) and group push; (mailed, pushed)."""
    to = settings.notify_to if notice.kind == "new" else (settings.escalate_to or settings.notify_to)
    mailed = send_email(settings, to, notice.subject(), notice.body(settings.console_url))
    pushed = push_group(settings, gateway, notice) if mailed else False
    return mailed, pushed
