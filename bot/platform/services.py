"""The per-app service bundle (engine, sessions, bot context, gateway, sender) and its accessor."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flask import current_app
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.line.gateway import LineGateway
from bot.line.outbox_policy import RetryPolicy
from bot.line.sender import Sender

if TYPE_CHECKING:
    from bot.line.delivery import Claim
    from bot.line.inbound import Inbound
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
    # What the webhook does with each parsed event (the dialogue's pipeline, wired in by the app): the claims to send.
    handle_event: Callable[[Services, Inbound], list[Claim]] | None = None
    # Set while a warm-up runs (bot/platform/warmup.py): /healthz says 503 meanwhile.
    warming: threading.Event = field(default_factory=threading.Event)


def services() -> Services:
    """The services of the current Flask app."""
    return current_app.extensions["madoguchi"]
