"""A server process loads the index and trains the triage models before its first resident waits for them."""

from __future__ import annotations

import logging
import threading

from intents import classifier
from intents.classifier import classify, model_examples
from intents.crisis_model import CRISIS_MODEL
from intents.model import INTENT_MODEL, ProcessModel
from knowledge.store import IndexCache


def _recording(model: ProcessModel, name: str, built: list[str]) -> ProcessModel:
    """A process model, untrained, whose training records `name` and returns the real trained model."""
    return ProcessModel(lambda examples: (built.append(name), model.get(model_examples))[1])


def test_warming_up_builds_the_index_and_trains_both_models(app, monkeypatch):
    from bot.platform.warmup import warm_up_in_background

    built: list[str] = []
    monkeypatch.setattr(classifier, "INTENT_MODEL", _recording(INTENT_MODEL, "intent", built))
    monkeypatch.setattr(classifier, "CRISIS_MODEL", _recording(CRISIS_MODEL, "crisis", built))
    classify.cache_clear()
    svc = app.extensions["madoguchi"]
    real_get = IndexCache.get
    monkeypatch.setattr(IndexCache, "get", lambda cache, session: built.append("index") or real_get(cache, session))

    warm_up_in_background(svc).join(timeout=120)

    classify.cache_clear()
    assert sorted(built) == ["crisis", "index", "intent"]


def test_a_failed_warm_up_is_logged_and_the_process_goes_on(app, monkeypatch, caplog):
    from bot.platform.warmup import warm_up_in_background

    svc = app.extensions["madoguchi"]
    monkeypatch.setattr(svc, "session_factory", lambda: (_ for _ in ()).throw(RuntimeError("database down")))
    with caplog.at_level(logging.ERROR, logger="bot.platform.warmup"):
        thread = warm_up_in_background(svc)
        thread.join(timeout=30)
    assert not thread.is_alive()
    assert "warm-up failed" in caplog.text


def test_healthz_says_warming_up_until_the_warm_up_is_done(app, monkeypatch):
    from bot.platform import warmup

    svc = app.extensions["madoguchi"]
    client = app.test_client()
    assert client.get("/healthz").status_code == 200  # a process that starts no warm-up is ready at once
    started, finish = threading.Event(), threading.Event()
    monkeypatch.setattr(warmup, "warm_up", lambda svc: (started.set(), finish.wait(30)))
    thread = warmup.warm_up_in_background(svc)
    assert started.wait(30)
    response = client.get("/healthz")
    assert response.status_code == 503 and response.get_json() == {"status": "warming up"}
    finish.set()
    thread.join(timeout=30)
    assert client.get("/healthz").status_code == 200
