"""Crisis replies: empathy and the resources that fit the message, from staff-editable data."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from bot import DATA_DIR
from bot.dialogue.menu import back_to_menu
from bot.dialogue.texts import t
from bot.line import messages as m
from bot.platform.context import BotContext
from knowledge.text import normalize

RESOURCES = DATA_DIR / "crisis_resources.yaml"


@lru_cache(maxsize=2)
def load_resources(path: Path = RESOURCES) -> tuple[dict, ...]:
    """The crisis resource list, with normalised trigger words."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return tuple({**r, "when": [normalize(w) for w in r.get("when") or []]} for r in data["resources"])


def fitting_resources(text: str) -> list[dict]:
    """Resources whose signals appear in the message, plus those always shown."""
    norm = normalize(text)
    fitting = [r for r in load_resources() if r.get("always") or any(w in norm for w in r["when"])]
    danger_now = [r for r in fitting if r.get("first") and any(w in norm for w in r["when"])]
    return danger_now + [r for r in fitting if r not in danger_now]  # a threat now: 110 before anything else


def crisis_messages(ctx: BotContext, text: str, level: str, lang: str = "ja") -> list[dict]:
    """Messages for an urgent or a gentle crisis signal."""
    lines = [f"・{r['name']}　{r['phone']}" for r in fitting_resources(text)]
    if level == "gentle":
        return [m.text(t("crisis.gentle", lang) + "\n" + "\n".join(lines[:2]))]
    body = t("crisis.urgent", lang) + "\n\n" + "\n".join(lines) + "\n\n" + t("crisis.emergency", lang)
    chips = [m.Choice(t("label.human", lang), data={"a": "human", "u": "1"}), back_to_menu(lang)]
    return [m.text(body, chips)]
