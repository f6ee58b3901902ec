"""`madoguchi demo`: a local bot wired to the LINE emulator, with the embedded SQLite database."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from werkzeug.serving import run_simple

from bot import config as config_mod
from bot.booking.defaults import ensure_types, seed_demo
from bot.platform.db import make_engine, make_session_factory, unit_of_work
from bot.platform.migrate import upgrade
from bot.platform.warmup import warm_up_in_background
from bot.tools.demo_simulator import seed_simulator_users
from knowledge.store import seed_from_content

log = logging.getLogger(__name__)
DEMO_SECRET = "demo-channel-secret"  # noqa: S105 (emulator-only credentials)
DEMO_TOKEN = "demo-access-token"  # noqa: S105
# Routine logs that would flood the demo's terminal: APScheduler's job runs (every 15 s) and the request log,
# which the simulator's polling fills. Warnings and errors still show; production logging is untouched.
ROUTINE_LOGGERS = ("apscheduler", "werkzeug")


def quiet_routine_logs() -> None:
    """Demo only: routine loggers at WARNING, so the printed URLs and logins stay visible."""
    for name in ROUTINE_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def prepare_database(url: str, revision: str = "heads") -> None:
    """Migrate and load shipped FAQ entries the database does not have (idempotent)."""
    upgrade(url, revision)
    engine = make_engine(url)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            seed_from_content(session)
            ensure_types(session)
    finally:
        engine.dispose()


def seed_demo_data(svc, var: Path = Path("var")) -> list[tuple[str, str]]:
    """Demo slots for the next 8 weeks, logins (passwords kept in `var`), a waiting hand-off and some activity.

    Idempotent: a restarted demo keeps its data and prints the same logins.
    """
    from admin.demo import seed_demo_activity, seed_demo_admin, seed_demo_coordinator
    from bot.handoff.demo import seed_demo as seed_demo_handoff

    with unit_of_work(svc.session_factory) as session:
        seed_demo(session, svc.context.today())
        logins = [
            seed_demo_admin(session, var / "demo-admin-password.txt"),
            seed_demo_coordinator(session, var / "demo-coordinator-password.txt"),
        ]
        seed_demo_handoff(session, svc.context.clock())
        seed_demo_activity(session, svc.context.today())
    return logins


def _sync_rich_menu(env: dict[str, str]) -> None:
    """Install the rich menu in the emulator once the server answers (as `madoguchi richmenu sync` would)."""
    from bot.line.richmenu import sync

    for _ in range(50):
        time.sleep(0.2)
        try:
            sync(env["LINE_API_BASE"], env["LINE_DATA_API_BASE"], env["LINE_CHANNEL_ACCESS_TOKEN"])
            return
        except Exception:  # noqa: BLE001, S112 (the server is not up yet: try again)
            continue
    log.warning("the demo rich menu could not be installed; run `madoguchi richmenu sync`")


def demo_env(host: str, port: int) -> dict[str, str]:
    """Environment for the demo processes: emulator credentials and URLs, never a real channel."""
    base = f"http://{host}:{port}"
    env = dict(os.environ)
    env.update(
        LINE_CHANNEL_SECRET=DEMO_SECRET,
        LINE_CHANNEL_ACCESS_TOKEN=DEMO_TOKEN,
        LINE_API_BASE=f"{base}/emulator/line",
        LINE_DATA_API_BASE=f"{base}/emulator/line",
        EMULATOR_ENABLED="1",
        EMULATOR_WEBHOOK_URL=f"{base}/callback",
        PUBLIC_BASE_URL=base,  # the greeting's privacy link points at this demo, whatever its port
    )
    env.setdefault("DATABASE_URL", config_mod.default_database_url())
    return env


def run_demo(host: str, port: int) -> None:
    """Prepare the database, start the scheduler process and serve web + emulator until Ctrl-C."""
    from bot.app import create_app

    env = demo_env(host, port)
    quiet_routine_logs()
    prepare_database(env["DATABASE_URL"])
    os.environ.update(env)
    app = create_app()
    svc = app.extensions["madoguchi"]
    logins = seed_demo_data(svc)
    warm_up_in_background(svc)
    seed_simulator_users(app)  # the seeded residents, with their chat so far, are users of the simulator
    # The worker's stdin is a pipe it watches: it stops when this process ends, however it ends (even SIGKILL).
    worker = subprocess.Popen([sys.executable, "-m", "bot.tools.demo_worker"], env=env, stdin=subprocess.PIPE)  # noqa: S603
    signal.signal(signal.SIGTERM, _interrupt)  # `kill <demo>` stops the server like Ctrl-C, so the finally runs
    base = f"http://{host}:{port}"
    print(
        f"""
madoguchi demo is running (database: {env["DATABASE_URL"]})
  LINE chat simulator : {base}/emulator/
  Admin               : {base}/admin/
    admin       {logins[0][0]} / {logins[0][1]}
    coordinator {logins[1][0]} / {logins[1][1]}  (デモ 花子 is waiting; she is in the simulator too)
  Webhook             : {base}/callback
Press Ctrl-C to stop.
""",
        flush=True,
    )
    threading.Thread(target=_sync_rich_menu, args=(env,), daemon=True).start()
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        worker.terminate()
        worker.stdin.close()
        worker.wait(timeout=10)


def _interrupt(_signum, _frame) -> None:
    raise KeyboardInterrupt
