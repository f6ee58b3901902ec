"""What a handler returns: the messages to send and what the bot understood."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Reply:
    """Up to five LINE message objects plus the triage facts recorded with them."""

    messages: list[dict] = field(default_factory=list)
    intent: str | None = None
    confidence: float | None = None
    faq_id: str | None = None
    handoff: bool = False
    understood: bool = True
    kind: str = "other"  # answer (a FAQ card) | menu (a guided step) | suggest | abstain | crisis | other
