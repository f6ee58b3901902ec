"""Settings from the environment (secrets, infrastructure); nothing is read at import time."""

from __future__ import annotations

import os
from pathlib import Path

LINE_API_DEFAULT = "https://api.line.me"
LINE_DATA_API_DEFAULT = "https://api-data.line.me"
TIMEZONE = "Asia/Tokyo"
SENDING_KEYS = (  # optional tuning of sending (bot/line/outbox_policy.py, bot/line/gateway.py)
    "LINE_API_TIMEOUT",
    "LINE_MAX_REQUESTS_PER_SECOND",
    "OUTBOX_MAX_ATTEMPTS",
    "OUTBOX_BACKOFF_SECONDS",
    "OUTBOX_BACKOFF_MAX_SECONDS",
    "OUTBOX_CLAIM_SECONDS",
    "OUTBOX_SWEEP_GRACE_SECONDS",
    "OUTBOX_MAX_INLINE_PAUSE_SECONDS",
    "OUTBOX_INLINE_RETRY_SECONDS",
)
PUBLIC_BASE_URL_DEFAULT = "http://127.0.0.1:8000"  # the demo; production sets the public https address
RETENTION_DAYS_DEFAULT = 365


def default_database_url(root: Path | None = None) -> str:
    """SQLite file under ./var/ (the embedded default)."""
    var = (root or Path.cwd()) / "var"
    return f"sqlite:///{var / 'madoguchi.db'}"


def from_env(env: dict[str, str] | None = None) -> dict:
    """Build the Flask config mapping from environment variables."""
    env = os.environ if env is None else env
    return {
        "LINE_CHANNEL_SECRET": env.get("LINE_CHANNEL_SECRET", ""),
        "LINE_CHANNEL_ACCESS_TOKEN": env.get("LINE_CHANNEL_ACCESS_TOKEN", ""),
        "LINE_API_BASE": env.get("LINE_API_BASE", LINE_API_DEFAULT).rstrip("/"),
        "LINE_DATA_API_BASE": env.get("LINE_DATA_API_BASE", env.get("LINE_API_BASE", LINE_DATA_API_DEFAULT)).rstrip(
            "/"
        ),
        "DATABASE_URL": env.get("DATABASE_URL") or default_database_url(),
        "CENTRE_PROFILE": env.get("CENTRE_PROFILE") or None,
        "SECRET_KEY": env.get("SECRET_KEY", ""),
        "TIMEZONE": env.get("TZ_NAME", TIMEZONE),
        "EMULATOR_ENABLED": env.get("EMULATOR_ENABLED", "0") == "1",
        "EMULATOR_WEBHOOK_URL": env.get("EMULATOR_WEBHOOK_URL") or None,
        "SEND_ASYNC": env.get("SEND_ASYNC", "1") == "1",
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        **{key: env[key] for key in SENDING_KEYS if env.get(key)},
        **{key: env[key] for key in ("ADMIN_LOGIN_ATTEMPTS", "ADMIN_LOGIN_WINDOW_SECONDS") if env.get(key)},
        "PUBLIC_BASE_URL": (env.get("PUBLIC_BASE_URL") or PUBLIC_BASE_URL_DEFAULT).rstrip("/"),
        "RETENTION_DAYS": retention_days(env.get("RETENTION_DAYS")),
    }


def retention_days(value: str | int | None) -> int:
    """Days transcripts are kept before the retention job anonymises them (at least 1; default 365)."""
    try:
        days = int(value) if value not in (None, "") else RETENTION_DAYS_DEFAULT
    except ValueError as exc:
        raise ValueError(f"RETENTION_DAYS must be a whole number of days, not {value!r}") from exc
    if days < 1:
        raise ValueError("RETENTION_DAYS must be at least 1")
    return days


KEY_RECIPE = "python3 -c 'import secrets; print(secrets.token_hex(32))'"  # how to make a good SECRET_KEY


def missing_production_secrets(config: dict) -> list[str]:
    """Names of settings `madoguchi serve` refuses to start without (a weak SECRET_KEY counts as missing)."""
    required = ("LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN", "SECRET_KEY")
    missing = [name for name in required if not config.get(name)]
    if "SECRET_KEY" not in missing and not strong_secret_key(config["SECRET_KEY"]):
        missing.append(f"SECRET_KEY (at least 32 random bytes: {KEY_RECIPE})")
    return missing


def strong_secret_key(value: str) -> bool:
    """Whether a SECRET_KEY plausibly holds 32 random bytes: 64 hex digits, or 32 other characters, and not
    a repeated pattern (few distinct characters)."""
    value = value.strip()
    hex_only = all(c in "0123456789abcdefABCDEF" for c in value)
    return len(value) >= (64 if hex_only else 32) and len(set(value)) >= 10
