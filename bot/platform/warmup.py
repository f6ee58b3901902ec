"""Ready a server process before its first resident: the knowledge index, the sentence model and both learned
triage models take 10–20 s to load and train, which the first message would otherwise wait for; /healthz answers
503 until they are ready."""

from __future__ import annotations

import logging
import threading

from bot.platform.db import unit_of_work
from bot.platform.services import Services
from intents import classify

log = logging.getLogger(__name__)
SAMPLE = "NPO法人をつくりたいのですが、何から始めればいいですか"  # reaches retrieval, the crisis and intent models


def warm_up(svc: Services) -> None:
    """Build the index for the stored content and train the triage models (each once per process)."""
    with unit_of_work(svc.session_factory) as session:
        svc.context.knowledge.get(session).search(SAMPLE)
    classify(SAMPLE)


def warm_up_in_background(svc: Services) -> threading.Thread:
    """Warm up on a daemon thread, so the process serves at once; a message that comes first waits as before.
    Meanwhile `svc.warming` is set, so /healthz tells a load balancer (or a restart script) to wait."""

    def run() -> None:
        try:
            warm_up(svc)
        except Exception:  # the first message then loads what it needs itself
            log.exception("warm-up failed")
        finally:
            svc.warming.clear()

    svc.warming.set()
    thread = threading.Thread(target=run, name="warm-up", daemon=True)
    thread.start()
    return thread
