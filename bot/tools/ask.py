"""`madoguchi ask`: run the whole pipeline for questions, each as the first message of a fresh user, offline."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from bot import config as config_mod
from bot.app import build_services
from bot.booking.defaults import seed_demo
from bot.line.inbound import Inbound
from bot.line.messages import visible_text
from bot.pipeline import process_inbound
from bot.platform.db import make_engine, unit_of_work, utcnow
from bot.platform.migrate import upgrade
from bot.platform.services import Services
from knowledge.store import seed_from_content

IN_MEMORY = "sqlite://"


@dataclass
class Asker:
    """A throwaway in-memory bot with the shipped knowledge base and no network."""

    svc: Services

    @classmethod
    def create(cls) -> Asker:
        """Migrate an in-memory database and load the shipped knowledge base."""
        config = config_mod.from_env({})
        config.update(DATABASE_URL=IN_MEMORY, LINE_API_BASE="http://127.0.0.1:9", SEND_ASYNC=False)
        engine = make_engine(IN_MEMORY)
        upgrade(IN_MEMORY, engine=engine)
        svc = build_services(config, engine=engine)
        with unit_of_work(svc.session_factory) as session:
            seed_from_content(session)
            seed_demo(session, svc.context.today())  # consultation types and their slots, as the worker makes them
        return cls(svc)

    def ask(self, text: str) -> dict:
        """The bot's answer to `text` as a JSON-ready dict."""
        inbound = Inbound(
            kind="text",
            webhook_event_id=uuid.uuid4().hex,
            event_type="message",
            user_id="U" + uuid.uuid4().hex,
            source_type="user",
            reply_token=None,
            timestamp=utcnow(),
            text=text,
            message_type="text",
        )
        with unit_of_work(self.svc.session_factory) as session:
            reply = process_inbound(session, self.svc.context, inbound).reply
        messages = reply.messages if reply else []
        return {
            "text": text,
            "intent": reply.intent if reply else None,
            "confidence": reply.confidence if reply else None,
            "faq_id": reply.faq_id if reply else None,
            "kind": reply.kind if reply else "none",
            "handoff": bool(reply and reply.handoff),
            "reply_text": "\n".join(visible_text(msg) for msg in messages),
            "messages": messages,
        }

    def ask_many(self, texts: list[str]) -> Iterator[dict]:
        """Answers for several questions, each from a fresh user."""
        for text in texts:
            yield self.ask(text)
