"""The monthly consultation report screen: generate any month, download the stored PDF and CSV files."""

from __future__ import annotations

import re
from datetime import date

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for

from admin import inputs
from admin.people.auth import audit
from bot.platform.db import unit_of_work
from bot.platform.services import services

# bot.report reads the admin's metrics, so its modules are imported when a view runs, not when the admin loads.

bp = Blueprint("report", __name__, url_prefix="/report")
MONTH = re.compile(r"(20\d\d)-(0[1-9]|1[0-2])")


def parse_month(text: str | None) -> date:
    """ "2026-11" → the first of that month; anything else is a 400 that says what is expected."""
    match = MONTH.fullmatch(text or "")
    if match is None:
        raise inputs.BadInput("月は YYYY-MM（2000〜2099年）で指定してください。")
    return date(int(match[1]), int(match[2]), 1)


@bp.get("/")
def index():
    """The stored reports, newest first, and the form to generate a month (default: last month)."""
    from bot.report import build, store

    ctx = services().context
    with services().session_factory() as db:
        months = store.stored_months(db)
        files = {m: sorted(store.stored_report(db, m).csvs) for m, _at, _by in months}
    default = build.previous_months(ctx.today())[0]
    return render_template("admin/report.html", months=months, files=files, default=default)


@bp.post("/")
def generate():
    """Generate (or regenerate) the chosen month's report and keep it."""
    from bot.report import store

    month = parse_month(request.form.get("month"))
    ctx = services().context
    with unit_of_work(services().session_factory) as db:
        rendered = store.render_report(db, month, ctx.tz, ctx.profile.name)
        store.store_report(db, rendered, f"staff:{g.admin_user.id}")
        audit(db, "report.generate", rendered.report.key)
    flash(f"{rendered.report.label}のレポートを作成しました。", "ok")
    return redirect(url_for("admin.report.index"))


@bp.get("/<month>.pdf")
def pdf(month: str):
    """The stored PDF of the month."""
    from bot.report import store

    first = parse_month(month)
    with services().session_factory() as db:
        row = store.stored_report(db, first)
        if row is None:
            abort(404)
        body = row.pdf
    return _download(body, "application/pdf", f"madoguchi-report-{month}.pdf")


@bp.get("/<month>/<name>")
def csv_file(month: str, name: str):
    """One stored CSV table of the month (UTF-8 with BOM)."""
    from bot.report import store

    first = parse_month(month)
    with services().session_factory() as db:
        row = store.stored_report(db, first)
        if row is None or name not in row.csvs:
            abort(404)
        text = row.csvs[name]
    return _download(text.encode("utf-8"), "text/csv; charset=utf-8", name)


def _download(body: bytes, mimetype: str, filename: str) -> Response:
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})
