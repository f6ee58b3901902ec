"""create_app: the one composition root (config, database, bot services, blueprints)."""

from __future__ import annotations

import logging
import secrets
from zoneinfo import ZoneInfo

from flask import Flask

from bot import config as config_mod
from bot.dialogue import texts
from bot.line.gateway import LineGateway
from bot.line.outbox_policy import RetryPolicy
from bot.line.sender import Sender
from bot.pipeline import handle_event
from bot.platform.centre import load_profile
from bot.platform.context import BotContext
from bot.platform.db import make_engine, make_session_factory
from bot.platform.services import Services
from bot.privacy.logs import install_log_masking
from knowledge.store import IndexCache


def create_app(config: dict | None = None) -> Flask:
    """Build the Flask app; `config` overrides the environment (tests pass a dict)."""
    app = Flask(__name__)
    app.config.update(config_mod.from_env())
    app.config.update(config or {})
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secrets.token_hex(32)  # per process; `madoguchi serve` requires a real one
    logging.basicConfig(
        level=app.config.get("LOG_LEVEL", "INFO"), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    install_log_masking()
    app.extensions["madoguchi"] = build_services(app.config)
    _register_blueprints(app)
    return app


def build_services(config: dict, engine=None) -> Services:
    """Services for a config mapping (also used by the worker and CLI without Flask)."""
    texts.configure(config.get("PUBLIC_BASE_URL") or config_mod.PUBLIC_BASE_URL_DEFAULT)
    engine = engine or make_engine(config["DATABASE_URL"])
    factory = make_session_factory(engine)
    context = BotContext(
        profile=load_profile(config.get("CENTRE_PROFILE")),
        knowledge=IndexCache.with_shipped_glossary(),
        tz=ZoneInfo(config.get("TIMEZONE", "Asia/Tokyo")),
        retention_days=config_mod.retention_days(config.get("RETENTION_DAYS")),
    )
    gateway = LineGateway(
        config["LINE_API_BASE"],
        config["LINE_CHANNEL_ACCESS_TOKEN"],
        timeout=float(config.get("LINE_API_TIMEOUT") or 10),
        max_per_second=float(config.get("LINE_MAX_REQUESTS_PER_SECOND") or 1000),
    )
    policy = RetryPolicy.from_config(config)
    sender = Sender(factory, gateway, asynchronous=config.get("SEND_ASYNC", True), policy=policy)
    return Services(  # the composition root wires the dialogue's pipeline into the LINE edge
        engine, factory, context, gateway, sender, policy, handle_event
    )


def _register_blueprints(app: Flask) -> None:
    from admin import bp as admin_bp
    from bot.booking.ical_views import bp as ical_bp
    from bot.line.webhook import bp as webhook_bp
    from bot.privacy.page import bp as privacy_bp

    app.register_blueprint(webhook_bp)
    app.register_blueprint(ical_bp)
    app.register_blueprint(privacy_bp)
    app.register_blueprint(admin_bp)
    if app.config.get("EMULATOR_ENABLED"):
        from bot.line import emulator

        emulator.init_app(app)

    @app.get("/healthz")
    def healthz():
        if app.extensions["madoguchi"].warming.is_set():  # still loading the index and training the triage
            return {"status": "warming up"}, 503
        return {"status": "ok"}
