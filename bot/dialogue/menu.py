"""The main menu: the paths a resident can take, as quick-reply choices."""

from __future__ import annotations

from bot.dialogue.texts import t
from bot.line.messages import Choice

PATHS = ("volunteer", "founding", "dissolution", "partnering", "booking", "human", "centre_info")
EXTRA_PATHS = ("my_bookings",)


def path_choice(path: str, lang: str = "ja") -> Choice:
    """The quick-reply chip that opens one path."""
    return Choice(label=t(f"label.{path}", lang), data={"a": "path", "p": path})


def main_menu(lang: str = "ja") -> list[Choice]:
    """Chips for every main path."""
    return [path_choice(p, lang) for p in PATHS]


def back_to_menu(lang: str = "ja") -> Choice:
    """The 「最初に戻る」 chip."""
    return Choice(label=t("label.menu", lang), data={"a": "menu"})
