"""The notices' user-facing strings: Japanese, やさしい日本語 (easy) and English, like bot.dialogue.texts."""

from __future__ import annotations

from bot.notices.models import WARD_NAMES

TEXTS: dict[str, dict[str, str]] = {
    "label.open": {"ja": "お知らせを受け取る", "easy": "おしらせを うけとる", "en": "Get notices"},
    "label.settings": {"ja": "お知らせの設定", "easy": "おしらせの せってい", "en": "Notice settings"},
    "label.stop": {"ja": "配信停止", "easy": "おしらせを とめる", "en": "Stop notices"},
    "label.done": {"ja": "決定", "easy": "きめる", "en": "Done"},
    "label.no_ward": {"ja": "区は選ばない", "easy": "区は えらばない", "en": "No ward"},
    "label.more_wards": {"ja": "ほかの区", "easy": "ほかの 区", "en": "Other wards"},
    "label.back_wards": {"ja": "前の区", "easy": "まえの 区", "en": "Previous wards"},
    "topic.volunteer": {"ja": "ボランティア", "easy": "ボランティア", "en": "Volunteering"},
    "topic.founding": {"ja": "団体の設立・運営", "easy": "グループを つくる", "en": "Starting/running"},
    "topic.dissolution": {"ja": "解散・継続", "easy": "グループを やめる", "en": "Closing a group"},
    "topic.partnering": {"ja": "協働・連携", "easy": "ほかの 団体と 協力", "en": "Partnering"},
    "topic.funding": {"ja": "助成金・資金", "easy": "おかね（助成金）", "en": "Funding/grants"},
    "choose_topics": {
        "ja": (
            "センターのセミナー・相談会・助成金の締切などを、LINEでお知らせします（無料）。\n"
            "受け取りたいテーマを押してください（いくつでも選べます。✓が付いたものが選ばれています）。"
            "選んだら「決定」を押してください。"
        ),
        "easy": (
            "センターの セミナーや そうだん会、助成金の しめきりを LINEで おしらせします（おかねは かかりません）。\n"
            "ほしい テーマを おしてください（いくつでも いいです。✓が えらんだ ものです）。"
            "えらんだら「きめる」を おしてください。"
        ),
        "en": (
            "We can send you notices about the centre's seminars, consultation days and grant deadlines (free).\n"
            "Tap the topics you want (as many as you like; ✓ marks the chosen ones), then tap Done. "
            "Notices are written in Japanese."
        ),
    },
    "current": {
        "ja": "いまの設定：{topics}（区：{ward}）",
        "easy": "いまの せってい：{topics}（区：{ward}）",
        "en": "Now: {topics} (ward: {ward})",
    },
    "need_topic": {
        "ja": "テーマをひとつ以上選んでから「決定」を押してください。",
        "easy": "テーマを ひとつ いじょう えらんでから「きめる」を おしてください。",
        "en": "Please choose at least one topic, then tap Done.",
    },
    "choose_ward": {
        "ja": (
            "お住まいの区を選ぶと、その区で開かれる催しのお知らせも届きます。選ばなくてもかまいません"
            "（そのときは横浜市全体のお知らせだけが届きます）。"
        ),
        "easy": (
            "すんでいる 区を えらぶと、その 区の おしらせも とどきます。えらばなくても いいです"
            "（そのときは 横浜市 ぜんたいの おしらせだけ です）。"
        ),
        "en": (
            "Choose your ward to also get notices about events in that ward, or choose No ward "
            "(then you get only city-wide notices)."
        ),
    },
    "saved": {
        "ja": (
            "お知らせの受け取りを登録しました。\nテーマ：{topics}\n区：{ward}\n"
            "登録した内容と日時は記録しています。止めるときは、いつでも「配信停止」と送ってください。"
        ),
        "easy": (
            "おしらせを とうろく しました。\nテーマ：{topics}\n区：{ward}\n"
            "とうろくした ことと 日にちを きろく します。とめる ときは「配信停止」と おくってください。"
        ),
        "en": (
            "You will get notices.\nTopics: {topics}\nWard: {ward}\n"
            'We keep a record of this choice and its time. To stop at any time, send "stop".'
        ),
    },
    "stopped": {
        "ja": (
            "お知らせの配信を止めました。これからはお送りしません。また受け取りたいときは、"
            "メニューの「お知らせを受け取る」から登録できます。"
        ),
        "easy": (
            "おしらせを とめました。もう おくりません。また ほしい ときは、"
            "メニューの「おしらせを うけとる」から とうろく できます。"
        ),
        "en": (
            "Notices are stopped. We will not send you any more. To get them again, choose Get notices in the menu."
        ),
    },
    "not_subscribed": {
        "ja": "お知らせは登録されていないので、お送りしていません。",
        "easy": "おしらせは とうろく されて いません。おくって いません。",
        "en": "You are not signed up for notices, so we do not send you any.",
    },
    "offer": {
        "ja": (
            "よろしければ、{topic}に関するセミナーや相談会のお知らせをLINEで受け取れます（無料・いつでも停止できます）。"
            ""
        ),
        "easy": (
            "{topic}の セミナーや そうだん会の おしらせを LINEで "
            "うけとれます（おかねは かかりません。いつでも とめられます）。"
        ),
        "en": (
            "If you like, we can send you notices about seminars and "
            "consultation days on {topic} (free; stop any time)."
        ),
    },
    "offer_any": {
        "ja": (
            "よろしければ、センターのセミナー・相談会・助成金の締切などのお知らせをLINEで受け取れます（無料・いつでも停止できます）。"
            ""
        ),
        "easy": (
            "センターの セミナーや そうだん会の おしらせを LINEで うけとれます（おかねは "
            "かかりません。いつでも とめられます）。"
        ),
        "en": (
            "If you like, we can send you notices about the centre's "
            "seminars and grant deadlines (free; stop any time)."
        ),
    },
    "none_ward": {"ja": "選ばない", "easy": "えらばない", "en": "none"},
    "notice.link": {"ja": "くわしくはこちら：", "easy": "くわしくは ここ：", "en": "More (in Japanese):"},
    "notice.footer": {
        "ja": (
            "（このお知らせは、受け取りを希望された方にお送りしています。止めるときは「配信停止」と送ってください。）"
        ),
        "easy": "（おしらせを ほしいと いった 人に おくって います。とめる ときは「配信停止」と おくってください。）",
        "en": '(You get this because you asked for notices. To stop them, send "stop".)',
    },
}

WARD_EN = {
    "tsurumi": "Tsurumi",
    "kanagawa": "Kanagawa",
    "nishi": "Nishi",
    "naka": "Naka",
    "minami": "Minami",
    "konan": "Konan",
    "hodogaya": "Hodogaya",
    "asahi": "Asahi",
    "isogo": "Isogo",
    "kanazawa": "Kanazawa",
    "kohoku": "Kohoku",
    "midori": "Midori",
    "aoba": "Aoba",
    "tsuzuki": "Tsuzuki",
    "totsuka": "Totsuka",
    "sakae": "Sakae",
    "izumi": "Izumi",
    "seya": "Seya",
}


def nt(key: str, lang: str = "ja", **values: str) -> str:
    """The notices' string for `key` in `lang` (falling back to Japanese), with {placeholders} filled."""
    variants = TEXTS[key]
    template = variants.get(lang) or variants["ja"]
    return template.format(**values) if values else template


def topic_name(topic: str, lang: str = "ja") -> str:
    """A topic's name for residents."""
    return nt(f"topic.{topic}", lang)


def ward_name(ward: str | None, lang: str = "ja") -> str:
    """A ward's name for residents (「選ばない」 when none)."""
    if not ward or ward not in WARD_NAMES:
        return nt("none_ward", lang)
    return f"{WARD_EN[ward]} Ward" if lang == "en" else WARD_NAMES[ward]
