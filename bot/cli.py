"""The `madoguchi` command: demo, serve, worker, ask, eval, database management and `user` (admin/cli.py)."""

from __future__ import annotations

import json
import os
import shutil
import sys

import click

from bot import config as config_mod


class LazyGroup(click.Group):
    """A group whose `lazy` subcommands ("name": "module:attribute") are imported only when used."""

    def __init__(self, *args, lazy: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy = lazy or {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy:
            import importlib

            module, attribute = self.lazy[name].split(":")
            return getattr(importlib.import_module(module), attribute)
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup, lazy={"user": "admin.cli:user", "report": "bot.report.cli:report"})
def main() -> None:
    """madoguchi: the LINE front desk of a civic-activity support centre."""
    from bot.privacy.logs import install_log_masking

    install_log_masking()  # phone numbers, e-mail addresses and LINE ids never reach a log in clear


@main.group()
def db() -> None:
    """Database management."""


@db.command("upgrade")
@click.option("--revision", default="heads", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply migrations to DATABASE_URL and load shipped FAQ entries the database lacks."""
    from bot.tools.demo import prepare_database

    url = config_mod.from_env()["DATABASE_URL"]
    prepare_database(url, revision)
    click.echo(f"database at {revision}: {_redact(url)}")


@main.command()
@click.option("--port", default=8000, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
def demo(port: int, host: str) -> None:
    """Migrate ./var SQLite, load content, start web + emulator + scheduler on localhost."""
    from bot.tools.demo import run_demo

    run_demo(host, port)


@main.command()
@click.option("--bind", default="127.0.0.1:8000", show_default=True)
@click.option("--workers", default=2, show_default=True)
def serve(bind: str, workers: int) -> None:
    """Production web server (gunicorn) for a real LINE channel; refuses to start without secrets."""
    config = config_mod.from_env()
    missing = config_mod.missing_production_secrets(config)
    if missing:
        raise click.ClickException(f"missing settings: {', '.join(missing)} (see .env.example)")
    if config["EMULATOR_ENABLED"]:
        raise click.ClickException("EMULATOR_ENABLED must not be set in production")
    if config["PUBLIC_BASE_URL"] == config_mod.PUBLIC_BASE_URL_DEFAULT:
        click.echo("warning: PUBLIC_BASE_URL is not set; the follow greeting links the demo address", err=True)
    gunicorn = shutil.which("gunicorn") or os.path.join(os.path.dirname(sys.executable), "gunicorn")
    cmd = [gunicorn, "--bind", bind, "--workers", str(workers), "--access-logfile", "-", "bot.wsgi:app"]
    os.execv(gunicorn, cmd)  # noqa: S606 (fixed argv): gunicorn replaces this process and gets signals directly


@main.command()
def worker() -> None:
    """Run the scheduler (reminders, retries, expiry); extra workers wait as standbys and take over."""
    import logging

    from bot.app import build_services
    from bot.platform.scheduler import run_forever
    from bot.privacy.logs import install_log_masking

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(process)d %(name)s %(levelname)s %(message)s")
    install_log_masking()
    raise SystemExit(run_forever(build_services(config_mod.from_env())))


@main.command()
@click.argument("text", required=False)
@click.option("--jsonl", is_flag=True, help='Read {"text": ...} lines on stdin, write one JSON line each.')
def ask(text: str | None, jsonl: bool) -> None:
    """Ask the bot offline (in-memory database, shipped knowledge base, no network)."""
    import logging

    from bot.tools.ask import Asker

    logging.disable(logging.INFO)
    asker = Asker.create()
    if jsonl:
        for line in sys.stdin:
            line = line.strip()
            if not line:
                continue
            try:
                question = json.loads(line)["text"]
            except (ValueError, KeyError, TypeError):
                click.echo(
                    json.dumps(
                        {"error": "expected a JSON object with a text field", "line": line[:200]}, ensure_ascii=False
                    )
                )
                continue
            click.echo(json.dumps(asker.ask(str(question)), ensure_ascii=False))
        return
    if not text:
        raise click.UsageError("give a question, or --jsonl")
    result = asker.ask(text)
    click.echo(f"intent: {result['intent']} (confidence {result['confidence']})")
    click.echo(f"faq: {result['faq_id']}  handoff: {result['handoff']}")
    click.echo("---")
    click.echo(result["reply_text"])


def _redact(url: str) -> str:
    if "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    return f"{scheme}://***@{rest.split('@', 1)[1]}"


@main.command("eval")
@click.argument("path", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option("--misses", is_flag=True, help="List the dev set's items whose first reply lacked the fact.")
@click.option("--calibrate", is_flag=True, help="First re-learn fusion weights and cut-offs on the dev set.")
@click.option("--intent-cv", is_flag=True, help="Also the triage's held-out intent accuracy (5-fold, dev set).")
def eval_command(path: str | None, misses: bool, calibrate: bool, intent_cv: bool) -> None:
    """First-reply quality on the dev and blind sets (or on PATH), beside a naive baseline."""
    import logging
    from pathlib import Path

    from bot.tools.ask import Asker
    from bot.tools.evaluation import (
        BLIND_CRISIS,
        BLIND_SET,
        DEV_SET,
        confusion,
        evaluate,
        load_items,
        recalibrate,
        report,
    )

    logging.disable(logging.INFO)
    asker = Asker.create()
    if calibrate:  # on the dev set only: the blind set is never learned from
        click.echo(recalibrate(asker, load_items(DEV_SET)).to_json())
        asker = Asker.create()  # a fresh index that reads the new calibration
    sets = {"file": Path(path)} if path else {"dev": DEV_SET, "blind": BLIND_SET, "crisis": BLIND_CRISIS}
    # The dev set's labelled messages are the knowledge base's examples: it is scored with each fold's held out.
    results = {name: evaluate(load_items(p), asker, held_out=p == DEV_SET) for name, p in sets.items()}
    click.echo(report(results))
    first = next(iter(results.values()))[0]
    click.echo(confusion(first))
    if intent_cv:
        from bot.tools.intent_cv import cross_validate

        held = cross_validate(asker, load_items(DEV_SET))
        click.echo(
            f"dev intent, held out (5-fold): accuracy {held.accuracy}, crisis recall {held.crisis_recall}, "
            f"false crisis alarms {held.false_alarms}"
        )
    if misses and "blind" not in sets:
        for miss in first.misses:
            click.echo(json.dumps(miss, ensure_ascii=False))
    elif misses:
        for miss in results["dev"][0].misses:  # never the blind set's: reading them would unblind it
            click.echo(json.dumps(miss, ensure_ascii=False))


@main.group()
def richmenu() -> None:
    """The six-area rich menu."""


@richmenu.command("sync")
def richmenu_sync() -> None:
    """Draw the menu image, create the menu through the Messaging API and make it the default."""
    from bot.line.richmenu import sync

    config = config_mod.from_env()
    menu_id = sync(config["LINE_API_BASE"], config["LINE_DATA_API_BASE"], config["LINE_CHANNEL_ACCESS_TOKEN"])
    click.echo(f"rich menu {menu_id} is the default")


@richmenu.command("image")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def richmenu_image(path: str) -> None:
    """Write the menu image (PNG) to PATH, to look at it."""
    from bot.line.richmenu import draw_image

    with open(path, "wb") as out:
        out.write(draw_image())
