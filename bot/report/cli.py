"""`madoguchi report --month YYYY-MM --out DIR`: write a month's PDF and CSV files from DATABASE_URL."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import click


def parse_month(text: str) -> date:
    """ "2026-11" → date(2026, 11, 1); a clear error otherwise."""
    try:
        year, month = (int(part) for part in text.split("-"))
        if not 2000 <= year <= 2099:
            raise ValueError
        return date(year, month, 1)
    except ValueError:
        raise click.BadParameter(f"expected YYYY-MM (2000–2099), got {text!r}") from None


@click.command("report")
@click.option("--month", "month_text", required=True, help="The month, YYYY-MM.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Directory to write to.")
@click.option("--store", is_flag=True, help="Also keep the report in the database (as the admin shows it).")
def report(month_text: str, out_dir: str, store: bool) -> None:
    """Write the monthly consultation report (PDF + one CSV per table) for MONTH into DIR."""
    from bot import config as config_mod
    from bot.platform.centre import load_profile
    from bot.platform.db import make_engine, make_session_factory, unit_of_work
    from bot.report.store import render_report, store_report

    month = parse_month(month_text)
    config = config_mod.from_env()
    engine = make_engine(config["DATABASE_URL"])
    target = Path(out_dir)
    target.mkdir(parents=True, exist_ok=True)
    profile = load_profile(config.get("CENTRE_PROFILE"))
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            rendered = render_report(session, month, ZoneInfo(config.get("TIMEZONE", "Asia/Tokyo")), profile.name)
            if store:
                store_report(session, rendered, "cli")
    finally:
        engine.dispose()
    pdf_path = target / f"madoguchi-report-{rendered.report.key}.pdf"
    pdf_path.write_bytes(rendered.pdf)
    for name, text in rendered.csvs.items():
        (target / name).write_text(text, encoding="utf-8", newline="")
    click.echo(f"{pdf_path} and {len(rendered.csvs)} CSV files")
