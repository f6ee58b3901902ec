"""A local LINE platform: Messaging API mock, webhook sender, HTTP API and chat simulator under /emulator."""

from __future__ import annotations

from flask import Blueprint, Flask, render_template

from bot.line.emulator import api, api_messages, api_richmenu, faults, users  # noqa: F401 (api_*, faults add routes)
from bot.line.emulator.store import EmulatorStore

__all__ = ["EmulatorStore", "bp", "init_app", "store_for"]

bp = Blueprint("line_emulator", __name__, url_prefix="/emulator", template_folder="templates", static_folder="static")
bp.register_blueprint(api.bp)
bp.register_blueprint(users.bp)


@bp.get("/")
def simulator():
    """The chat simulator page."""
    return render_template("emulator/chat.html")


def init_app(app: Flask) -> EmulatorStore:
    """Register the emulator on `app` and create its in-memory state in app.extensions["line_emulator"]."""
    store = EmulatorStore(reply_token_ttl=float(app.config.get("EMULATOR_REPLY_TOKEN_TTL", 60)))
    app.extensions["line_emulator"] = store
    app.register_blueprint(bp)
    return store


def store_for(app: Flask) -> EmulatorStore:
    """The emulator state of an app set up with init_app."""
    return app.extensions["line_emulator"]
