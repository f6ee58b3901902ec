# ruff: noqa: E501
"""Hand-off strings shown to residents: Japanese, やさしい日本語 (easy) and English (en); `ht(key, lang, **values)`."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "open": {
        "ja": "担当者におつなぎします。しばらくお待ちください（目安：{wait}分ほど）。",
        "easy": "たんとうの 人に つなぎます。すこし まってください（{wait}ぷんぐらい）。",
        "en": "I am connecting you with a coordinator. Please wait a little (about {wait} minutes).",
    },
    "closing_soon": {
        "ja": "本日の受付時間内にお返事できない場合は、{when} 以降に担当者からご連絡します。",
        "easy": "きょう へんじが できない ときは、{when}から れんらく します。",
        "en": "If we cannot answer before closing time, a coordinator will contact you from {when}.",
    },
    "closed": {
        "ja": "ただいま受付時間外です（受付時間：{hours}）。{when} 以降に担当者からご連絡します。",
        "easy": "いまは センターが しまっています。{when}から たんとうの 人が れんらく します。",
        "en": "We are closed now (hours: {hours}). A coordinator will contact you from {when}.",
    },
    "phone": {
        "ja": "お急ぎの場合は、受付時間内に {phone} へお電話ください。",
        "easy": "いそぐ ときは、センターが あいている 時間に {phone} に でんわ してください。",
        "en": "If it is urgent, please call {phone} during opening hours.",
    },
    "phone_open": {
        "ja": "お電話でもご相談いただけます：{phone}（受付時間：{hours}）",
        "easy": "でんわでも そうだん できます：{phone}（{hours}）",
        "en": "You can also call us: {phone} (hours: {hours}).",
    },
    "crisis_open": {
        "ja": "担当者にもすぐにお知らせしました。できるだけ早くお返事します。",
        "easy": "たんとうの 人にも すぐ しらせました。なるべく はやく へんじ します。",
        "en": "We have told a coordinator right away and will answer as soon as we can.",
    },
    "crisis_closed": {
        "ja": "センターの担当者からは {when} 以降にご連絡します。今すぐ話したいときは、上の窓口にお電話ください。",
        "easy": "センターの 人は {when}から れんらく します。いま はなしたい ときは、上の でんわに かけてください。",
        "en": "A centre coordinator will contact you from {when}. To talk now, please call one of the lines above.",
    },
    "how_to_leave": {
        "ja": "担当者からの返信をお待ちいただく間、ボットは自動でお答えしません。ボットの案内に戻るには「ボットに戻る」を押してください。",
        "easy": "まっている あいだ、ボットは こたえません。ボットに もどる ときは「ボットに戻る」を おしてください。",
        "en": 'While you wait, the bot will not answer. To use the bot again, tap "ボットに戻る" (back to the bot).',
    },
    "already": {
        "ja": "すでに担当者におつなぎしています。",
        "easy": "もう たんとうの 人に つないで います。",
        "en": "You are already connected with a coordinator.",
    },
    "ack": {
        "ja": "メッセージを受け付けました。担当者が確認してお返事します。",
        "easy": "メッセージを うけとりました。たんとうの 人が よんで へんじ します。",
        "en": "We have received your message. A coordinator will read it and answer.",
    },
    "back": {
        "ja": "ボットの案内に戻りました。ご用件を選ぶか、短い文で送ってください。",
        "easy": "ボットに もどりました。ボタンを えらぶか、みじかい 文で おくってください。",
        "en": "You are back with the bot. Choose a topic or send a short message.",
    },
    "closed_by_staff": {
        "ja": "ご相談ありがとうございました。ここからはボットが自動でご案内します。またいつでも「相談員と話したい」からご連絡ください。",
        "easy": "そうだん ありがとう ございました。これから ボットが こたえます。また いつでも「人と はなしたい」を おしてください。",
        "en": 'Thank you for talking with us. The bot will answer from now on. Tap "Talk to a person" any time.',
    },
    "auto_returned": {
        "ja": "しばらくやり取りがなかったため、ボットの自動案内に戻りました。続けてご相談になりたい場合は「相談員と話したい」を押してください。",
        "easy": "しばらく やりとりが なかったので、ボットに もどりました。また 人と はなしたい ときは ボタンを おしてください。",
        "en": 'As there were no messages for a while, the bot will answer again. Tap "Talk to a person" to continue with a coordinator.',
    },
    "auto_returned_unanswered": {
        "ja": "お返事できないまま時間が経ってしまい、申し訳ありません。ボットの自動案内に戻りました。お手数ですが {phone}（{hours}）へお電話いただくか、もう一度「相談員と話したい」を押してください。",
        "easy": "へんじが できなくて ごめんなさい。ボットに もどりました。{phone} に でんわ するか、もう いちど「人と はなしたい」を おしてください。",
        "en": 'Sorry we could not answer in time. The bot will answer again. Please call {phone} ({hours}) or tap "Talk to a person" again.',
    },
    "booking_lead": {
        "ja": "担当者より：相談のご予約はこちらからどうぞ。ここからはボットがご案内します。",
        "easy": "たんとうの 人から：そうだんの よやくは ここから できます。ここからは ボットが あんない します。",
        "en": "From the coordinator: you can book a consultation here. The bot will guide you from now on.",
    },
    "label.back": {"ja": "ボットに戻る", "easy": "ボットに もどる", "en": "Back to the bot"},
    "label.human": {"ja": "相談員と話したい", "easy": "人と はなしたい", "en": "Talk to a person"},
    "today": {"ja": "本日 {time}", "easy": "きょう {time}", "en": "today at {time}"},
    "tomorrow": {"ja": "明日 {time}", "easy": "あした {time}", "en": "tomorrow at {time}"},
    "date": {
        "ja": "{month}月{day}日（{weekday}）{time}",
        "easy": "{month}月{day}日（{weekday}）{time}",
        "en": "{date} at {time}",
    },
}


def ht(key: str, lang: str = "ja", **values: object) -> str:
    """The hand-off string for `key` in `lang` (falling back to Japanese), with {placeholders} filled."""
    variants = TEXTS[key]
    template = variants.get(lang) or variants["ja"]
    return template.format(**values) if values else template
