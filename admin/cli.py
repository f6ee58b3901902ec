"""`madoguchi user …`: add staff accounts, change passwords, list accounts (for the first admin, and recovery);
`export` and `forget` act on residents' data instead (bot/privacy/cli.py)."""

from __future__ import annotations

import click
from sqlalchemy import select

from admin.models import ROLE_JA, ROLES, AdminUser
from admin.people import accounts
from bot import config as config_mod
from bot.platform.db import make_engine, make_session_factory, unit_of_work, utcnow
from bot.privacy.cli import export_command, forget_command


def _factory():
    engine = make_engine(config_mod.from_env()["DATABASE_URL"])
    return engine, make_session_factory(engine)


@click.group()
def user() -> None:
    """Admin accounts (add, passwd, list) and residents' data (export, forget); run `madoguchi db upgrade` first."""


user.add_command(export_command)
user.add_command(forget_command)


@user.command("add")
@click.option("--role", type=click.Choice(ROLES), required=True, help="admin, staff or coordinator")
@click.option("--name", default=None, help="Name shown in the admin.")
@click.argument("email")
def add(role: str, name: str | None, email: str) -> None:
    """Add an account; the password is asked twice and never echoed."""
    password = click.prompt("パスワード", hide_input=True, confirmation_prompt="パスワード（確認）")
    engine, factory = _factory()
    try:
        with unit_of_work(factory) as session:
            created = accounts.create_user(session, email, role, password, name)
            accounts.record(session, None, "user.add", created.email, {"role": role, "via": "cli"})
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        engine.dispose()
    click.echo(f"added {created.email} ({role})")


@user.command("passwd")
@click.argument("email")
def passwd(email: str) -> None:
    """Set a new password for an account (also unlocks it and ends its sessions)."""
    password = click.prompt("新しいパスワード", hide_input=True, confirmation_prompt="新しいパスワード（確認）")
    engine, factory = _factory()
    try:
        with unit_of_work(factory) as session:
            found = accounts.find_user(session, email)
            if found is None:
                raise click.ClickException(f"no such user: {email}")
            accounts.set_password(found, password, utcnow())
            accounts.record(session, None, "user.password", found.email, {"via": "cli"})
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        engine.dispose()
    click.echo(f"password changed for {found.email}")


@user.command("list")
def list_users() -> None:
    """Every account: e-mail, role, state."""
    engine, factory = _factory()
    try:
        with factory() as session:
            users = list(session.scalars(select(AdminUser).order_by(AdminUser.email)))
    finally:
        engine.dispose()
    now = utcnow()
    for u in users:
        state = "inactive" if not u.active else "locked" if accounts.is_locked(u, now) else "active"
        click.echo(f"{u.email}\t{u.role}\t{ROLE_JA[u.role]}\t{state}")
