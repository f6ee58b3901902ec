"""YAML uploaded by staff, read without surprises: no anchors or aliases (a 546-byte alias bomb expands to 10⁸
nodes) and a bound on the number of nodes, both checked on the event stream before anything is built."""

from __future__ import annotations

import yaml

MAX_EVENTS = 200_000  # far above the whole shipped knowledge base (a few thousand)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class RefusedYaml(yaml.YAMLError):
    """A document refused before loading; the message is shown to staff."""


def load_all(text: str) -> list:
    """Every document of `text` (safe_load_all), after refusing anchors, aliases and oversized documents."""
    for count, event in enumerate(yaml.parse(text, Loader=_LOADER), start=1):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise RefusedYaml("アンカーやエイリアス（& や *）は使えません。値をそのまま書いてください。")
        if count > MAX_EVENTS:
            raise RefusedYaml(f"YAMLが大きすぎます（要素が{MAX_EVENTS}を超えています）。ファイルを分けてください。")
    return list(yaml.load_all(text, Loader=_LOADER))  # noqa: S506 (a safe loader)
