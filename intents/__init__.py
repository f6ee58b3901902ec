"""Pure triage: text → intent, confidence, slots and alternatives. No Flask, no database, no LINE SDK."""

from intents.classifier import Triage, classify

__all__ = ["Triage", "classify"]
