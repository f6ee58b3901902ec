"""`madoguchi user export LINE_ID` and `madoguchi user forget LINE_ID`: a resident's data, on request.

Both act on residents (LINE users), beside `madoguchi user add/passwd/list` for staff accounts in the same
group (admin/cli.py), and both are written to the admin audit log without the LINE id.
"""

from __future__ import annotations

import json

import click

from bot import config as config_mod
from bot.platform.centre import load_profile
from bot.platform.db import make_engine, make_session_factory, unit_of_work, utcnow


def _factory():
    engine = make_engine(config_mod.from_env()["DATABASE_URL"])
    return engine, make_session_factory(engine)


@click.command("export")
@click.argument("line_id")
@click.option("--output", "-o", type=click.File("w", encoding="utf-8"), default="-", help="File (default: stdout).")
def export_command(line_id: str, output) -> None:
    """Print everything held about one resident (LINE user id U…) as JSON."""
    from admin.people.accounts import record
    from bot.privacy.export import export_resident, find_resident

    engine, factory = _factory()
    try:
        with unit_of_work(factory) as session:
            data = export_resident(session, line_id, utcnow())
            if data is None:
                raise click.ClickException("nothing is held under this LINE user id")
            record(session, None, "resident.export", f"resident #{find_resident(session, line_id).id}", {"via": "cli"})
    finally:
        engine.dispose()
    output.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


@click.command("forget")
@click.argument("line_id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def forget_command(line_id: str, yes: bool) -> None:
    """Erase one resident: future bookings cancelled (seats offered on), transcripts anonymised, profile deleted.

    Running it again for the same id is harmless.
    """
    from admin.people.accounts import record
    from bot.booking.settings import booking_settings
    from bot.privacy.export import find_resident
    from bot.privacy.forget import forget_resident

    if not yes:
        click.confirm("この利用者の記録を削除します（元に戻せません）。よろしいですか？", abort=True)
    closures = load_profile(config_mod.from_env()["CENTRE_PROFILE"]).closures
    engine, factory = _factory()
    try:
        with unit_of_work(factory) as session:
            found = find_resident(session, line_id)
            target = f"resident #{found.id}" if found else None
            counts = forget_resident(session, line_id, utcnow(), booking_settings(session, closures))
            if found is not None:
                record(session, None, "resident.forget", target, {"via": "cli", **counts})
    finally:
        engine.dispose()
    if found is None:
        click.echo("nothing held under this LINE user id (already forgotten?)")
        return
    click.echo("forgotten: " + ", ".join(f"{k} {v}" for k, v in counts.items() if v))
