"""Conversation flows: small state machines persisted on the conversation row."""
