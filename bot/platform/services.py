"""The per-app service bundle (engine, sessions, bot context, gateway, sender) and its accessor."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.line.gateway import LineGateway
from bot.line.outbox_policy import RetryPolicy
from bot.line.sender import Sender
from bot.platform.context import BotContext


@dataclass
class Services:
    """Everything a request, job or command needs, built once by create_app."""

    engine: Engine
    session_factory: sessionmaker[Session]
    context: BotContext
    gateway: LineGateway
    sender: Sender
    outbox_policy: RetryPolicy = field(default_factory=RetryPolicy)


def services() -> Services:
    """The services of the current Flask app."""
    return current_app.extensions["madoguchi"]
