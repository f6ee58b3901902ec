"""Renders an entry's `source` for residents: seed references become document titles, law stays as cited."""

from __future__ import annotations

import re

SEED_TITLES = {
    "D0": "横浜市会 特別委員会 参考人資料（2025年12月）",
    "D1": "横浜市市民協働推進センター「IN SPIRAL」（令和5年度）",
    "D2": "「Let's 協働入門」（横浜市市民局・市民セクターよこはま）",
    "D3": "孤独・孤立対策 NPO等の取組事例集",
    "D4": "市民セクターよこはま 2020年度 事業計画",
}
_SEED = re.compile(r"\bD([0-4])\s*:\s*[\d\-–,\s]+")


def cite(source: str) -> str:
    """「出典：…」 text for a source string (empty source → empty text)."""
    if not source:
        return ""
    text = source.replace("centre profile", "センターの案内情報")
    text = _SEED.sub(lambda m: SEED_TITLES[f"D{m.group(1)}"] + " ", text)
    parts = list(dict.fromkeys(p.strip(" ;、,") for p in re.split(r"[;；]", text) if p.strip(" ;、,")))
    return "出典：" + "／".join(parts)
