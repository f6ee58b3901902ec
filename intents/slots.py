"""Slot extraction: organisation type, ward, date words."""

from __future__ import annotations

import re

from knowledge.text import normalize

WARDS = (
    "鶴見",
    "神奈川",
    "西",
    "中",
    "南",
    "港南",
    "保土ケ谷",
    "旭",
    "磯子",
    "金沢",
    "港北",
    "緑",
    "青葉",
    "都筑",
    "戸塚",
    "栄",
    "泉",
    "瀬谷",
)
ORG_TYPES = {
    "npo_corp": ("npo法人", "特定非営利", "えぬぴーおー法人"),
    "neighbourhood": ("町内会", "自治会", "町会", "ちょうないかい", "じちかい"),
    "general_assoc": ("一般社団", "社団法人"),
    "voluntary_group": ("任意団体", "サークル", "同好会", "グループ", "市民団体"),
    "company": ("企業", "会社", "社員"),
    "school": ("学校", "大学", "高校", "中学"),
}
DATE_WORDS = (
    "今日",
    "明日",
    "あした",
    "明後日",
    "あさって",
    "今週",
    "来週",
    "再来週",
    "今月",
    "来月",
    "月曜",
    "火曜",
    "水曜",
    "木曜",
    "金曜",
    "土曜",
    "日曜",
    "週末",
    "平日",
    "午前",
    "午後",
    "夕方",
    "夜",
)
_ORG_TERMS = {org_type: tuple(normalize(t) for t in terms) for org_type, terms in ORG_TYPES.items()}  # matched form
_DATE = re.compile(r"(\d{1,2})\s*[/月]\s*(\d{1,2})\s*日?")
_WARD = re.compile("(" + "|".join(sorted(WARDS, key=len, reverse=True)) + ")区")


def extract_slots(text: str, norm: str | None = None) -> dict:
    """Slots found in a message; missing slots are simply absent."""
    norm = normalize(text) if norm is None else norm
    slots: dict = {}
    for org_type, terms in _ORG_TERMS.items():
        if any(t in norm for t in terms):
            slots["org_type"] = org_type
            break
    ward = _WARD.search(text)
    if ward:
        slots["ward"] = ward.group(1) + "区"
    dates = [w for w in DATE_WORDS if w in text]
    dates += [f"{int(m.group(1))}/{int(m.group(2))}" for m in _DATE.finditer(text)]
    if dates:
        slots["date_words"] = dates
    return slots
