"""Staff-tunable settings (the `settings` table, defaults in code): the known ones as a form, others as JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from admin.people.auth import audit
from bot.dialogue import throttle
from bot.platform.db import unit_of_work
from bot.platform.models import Setting
from bot.platform.services import services

bp = Blueprint("settings", __name__, url_prefix="/settings")


@dataclass(frozen=True)
class Known:
    """A setting this screen edits with a typed field."""

    key: str
    label: str
    default: int
    minimum: int = 0
    maximum: int = 1_000_000
    hint: str = ""

    def accepts(self, value) -> bool:
        """Whether a value is a whole number in this setting's range."""
        return type(value) is int and self.minimum <= value <= self.maximum

    def parse(self, raw: str) -> int | None:
        """The form value as a number in range, else None."""
        raw = raw.strip()
        return int(raw) if raw.isdigit() and len(raw) <= 12 and self.accepts(int(raw)) else None

    @property
    def error(self) -> str:
        """The form error for a value out of range."""
        return f"{self.label}: {self.minimum}〜{self.maximum}の整数で入力してください。"


KNOWN = {
    "push_monthly_budget": Known(
        "push_monthly_budget",
        "月間プッシュ送信の上限（通）",
        200,
        hint="LINE公式アカウントの料金プランで無料で送れる通数（コミュニケーションプランは200通）。",
    ),
    throttle.MAX_MESSAGES_KEY: Known(
        throttle.MAX_MESSAGES_KEY,
        "連続メッセージの上限（通）",
        throttle.DEFAULT_MAX_MESSAGES,
        maximum=1000,
        hint="1人の利用者から下の秒数のあいだにこれより多く届くと、一度だけ「少し時間をおいて」と返し、"
        "その後はしばらく返信しません（メッセージは記録されます）。0で制限しません。",
    ),
    throttle.WINDOW_SECONDS_KEY: Known(
        throttle.WINDOW_SECONDS_KEY,
        "連続メッセージを数える時間（秒）",
        throttle.DEFAULT_WINDOW_SECONDS,
        minimum=1,
        maximum=3600,
    ),
}


def get_setting(session: Session, key: str):
    """A setting's stored value, else its default in code (None for unknown keys)."""
    row = session.get(Setting, key)
    known = KNOWN.get(key)
    if row is not None and row.value is not None and (known is None or known.accepts(row.value)):
        return row.value
    return known.default if known else None  # a known setting stored out of range (older data) reads as default


def set_setting(session: Session, key: str, value) -> None:
    """Store a setting value (JSON)."""
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value


@bp.get("/")
def index():
    """The known settings with their values, and every other stored setting as JSON."""
    with services().session_factory() as db:
        values = {key: get_setting(db, key) for key in KNOWN}
        others = [s for s in db.scalars(select(Setting).order_by(Setting.key)) if s.key not in KNOWN]
        dumps = {s.key: json.dumps(s.value, ensure_ascii=False) for s in others}
        return render_template("admin/settings.html", known=KNOWN, values=values, others=others, dumps=dumps)


@bp.post("/")
def save():
    """Save the known settings (checked against their range) and edited JSON values."""
    changes, errors = {}, []
    for key, known in KNOWN.items():
        raw = request.form.get(key)
        if raw is None:  # not in the form: left as it is
            continue
        value = known.parse(raw)
        if value is None:
            errors.append(known.error)
            continue
        changes[key] = value
    for key in request.form.getlist("other_key"):
        try:
            value = json.loads(request.form.get(f"other:{key}", ""))
        except ValueError:
            errors.append(f"{key}: JSONとして読めません。")
            continue
        if key in KNOWN and not KNOWN[key].accepts(value):  # the JSON field must not bypass the range check
            errors.append(KNOWN[key].error)
            continue
        changes[key] = value
    if errors:
        for error in errors:
            flash(error, "error")
        return redirect(url_for(".index"))
    with unit_of_work(services().session_factory) as db:
        before = {key: get_setting(db, key) for key in changes}
        changed = {k: v for k, v in changes.items() if before[k] != v}
        for key, value in changed.items():
            set_setting(db, key, value)
        if changed:
            audit(db, "settings.save", None, {k: {"from": before[k], "to": v} for k, v in changed.items()})
    throttle.forget_settings()  # this process applies them at once (others within throttle.SETTINGS_TTL)
    flash("設定を保存しました。" if changed else "変更はありませんでした。", "info")
    return redirect(url_for(".index"))
