"""Synthetic FAQ entries generated from templates, for retrieval benchmarks at any size."""

from __future__ import annotations

import random

from knowledge.entries import Entry

SUBJECTS = [
    "ボランティア",
    "NPO法人",
    "町内会",
    "自治会",
    "任意団体",
    "一般社団法人",
    "子ども食堂",
    "防災訓練",
    "清掃活動",
    "居場所づくり",
    "フードパントリー",
    "学習支援",
    "高齢者の見守り",
    "多文化共生",
    "環境保全",
    "まちづくり",
    "助成金",
    "会計",
    "広報",
    "会員募集",
    "理事会",
    "総会",
    "定款",
    "協働事業",
    "企業連携",
    "学校連携",
    "イベント",
    "講座",
]
ACTIONS = [
    "始めたい",
    "やめたい",
    "続けたい",
    "相談したい",
    "知りたい",
    "手伝いたい",
    "立ち上げたい",
    "見直したい",
    "探している",
    "困っている",
    "申し込みたい",
    "紹介してほしい",
]
PLACES = [
    "鶴見区",
    "神奈川区",
    "西区",
    "中区",
    "南区",
    "港南区",
    "保土ケ谷区",
    "旭区",
    "磯子区",
    "金沢区",
    "港北区",
    "緑区",
    "青葉区",
    "都筑区",
    "戸塚区",
    "栄区",
    "泉区",
    "瀬谷区",
    "市内",
    "近所",
]
TOPICS = ["volunteer", "founding", "dissolution", "partnering", "centre_info", "referral"]


def synthetic_entries(n: int, seed: int = 7) -> list[Entry]:
    """`n` entries, each with a question and four resident-style paraphrases."""
    rng = random.Random(seed)
    entries = []
    for i in range(n):
        subject, action, place = rng.choice(SUBJECTS), rng.choice(ACTIONS), rng.choice(PLACES)
        question = f"{place}で{subject}を{action}のですが、どうすればいいですか（{i}）"
        paraphrases = (
            f"{subject} {action}",
            f"{place} {subject}",
            f"{subject}について{action}",
            f"{subject.lower()}を{action} {i}",
        )
        entries.append(
            Entry(
                id=f"synthetic.e{i}",
                topic=rng.choice(TOPICS),
                question=question,
                answer=f"{subject}の回答 {i}",
                paraphrases=paraphrases,
            )
        )
    return entries


def synthetic_queries(n: int, seed: int = 11) -> list[str]:
    """Short resident-style queries drawn from the same vocabulary."""
    rng = random.Random(seed)
    return [
        f"{rng.choice(SUBJECTS)} {rng.choice(ACTIONS)}" if i % 2 else f"{rng.choice(PLACES)}で{rng.choice(SUBJECTS)}"
        for i in range(n)
    ]
