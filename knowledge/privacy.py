"""Masking personal data (phone numbers, e-mail addresses, LINE user ids) before text is stored for staff."""

from __future__ import annotations

import re

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Japanese numbers: with separators (045-671-4732, 090 1234 5678, 03(1234)5678) or as 10–11 bare digits; a
# bare run of 6–9 digits (a time's microseconds, an order number) is not a phone number.
_PHONE = re.compile(r"(?<![\d.])(?:(?:\+?81[-\s]?|0)\d{1,4}[-\s(（]\d{1,4}[-\s)）]?\d{3,4}|(?:\+?81|0)\d{9,10})(?!\d)")
_LINE_ID = re.compile(r"\bU[0-9a-f]{32}\b")
_POSTAL = re.compile(r"〒?\s?\d{3}-\d{4}")


def mask_personal_data(text: str) -> str:
    """Replace e-mail addresses, phone numbers, LINE user ids and postcodes with placeholders."""
    text = _EMAIL.sub("［メール］", text)
    text = _LINE_ID.sub("［LINE ID］", text)
    text = _PHONE.sub("［電話番号］", text)  # before postcodes: "090-1234" would otherwise pass for one
    return _POSTAL.sub("［郵便番号］", text)
