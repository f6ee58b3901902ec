"""Residents' personal data: the privacy page, retention, export and erasure, and masking in logs.

See bot/privacy/README.md for what is kept, for how long, and what the statistics keep after anonymisation.
"""
