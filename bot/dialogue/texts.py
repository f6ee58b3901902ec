"""Every user-facing string, keyed; Japanese first, with やさしい日本語 (easy) and English (en) beside it."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "greeting.follow": {
        "ja": (
            "友だち追加ありがとうございます。{centre}のLINE窓口です。\n"
            "ボランティアを始めたい、団体やNPOをつくりたい・たたみたい、ほかの団体と協働したい、"
            "といったご相談にお答えし、無料の相談の予約や、相談員（協働コーディネーター）へのおつなぎもします。\n"
            "下のボタンを押すか、ご相談を短い文で送ってください。"
        ),
        "easy": (
            "ともだち ついか ありがとうございます。{centre}の LINEです。\n"
            "ボランティア、グループや NPO、ほかの 団体との 協力に ついて こたえます。"
            "そうだんの よやくも できます。人（そうだんいん）とも はなせます。\n"
            "下の ボタンを おすか、みじかい 文で おくってください。"
        ),
        "en": (
            "Thank you for adding us. This is the LINE desk of {centre}.\n"
            "We help with volunteering, starting or closing a group or NPO, and working with other organisations. "
            "You can book a free consultation or talk to a coordinator.\n"
            "Tap a button below or send a short message."
        ),
    },
    "privacy.line": {
        "ja": (
            "※いただいたメッセージは、ご相談への対応と改善のために記録し、センターの職員が確認することがあります。"
            "記録する内容・保存期間・削除のお申し出の方法はこちら：\n{privacy_url}"
        ),
        "easy": (
            "※メッセージは そうだんの ために きろくします。センターの 人が 見る ことが あります。"
            "くわしくは ここを 見てください：\n{privacy_url}"
        ),
        "en": (
            "Note: we keep your messages to answer you and improve this service; centre staff may read them. "
            "What we keep, for how long, and how to ask us to delete it (in Japanese):\n{privacy_url}"
        ),
    },
    "menu.prompt": {
        "ja": "ご用件を選ぶか、ご相談を短い文で送ってください。",
        "easy": "ボタンを えらぶか、みじかい 文で おくってください。",
        "en": "Please choose a topic or send a short message.",
    },
    "fallback.not_understood": {
        "ja": "すみません、うまく理解できませんでした。次のどれに近いですか？",
        "easy": "ごめんなさい。わかりませんでした。どれに ちかいですか？",
        "en": "Sorry, I could not understand. Which of these is closest?",
    },
    "fallback.text_only": {
        "ja": "ありがとうございます。このLINEでは文字のメッセージだけを読むことができます。ご用件を文字で送るか、下から選んでください。",
        "easy": "ありがとうございます。この LINEは 文字だけ よめます。文字で おくるか、ボタンを えらんでください。",
        "en": "Thank you. This account can only read text. Please type your question or choose below.",
    },
    "greeting.hello": {
        "ja": "こんにちは。{centre}のLINE窓口です。ご用件を選ぶか、短い文で送ってください。",
        "easy": "こんにちは。ボタンを えらぶか、みじかい 文で おくってください。",
        "en": "Hello. Please choose a topic or send a short message.",
    },
    "greeting.bye": {
        "ja": "ご連絡ありがとうございました。またいつでもどうぞ。",
        "easy": "ありがとうございました。また いつでも どうぞ。",
        "en": "Thank you for writing. Goodbye, and write to us any time.",
    },
    "greeting.thanks": {
        "ja": "どういたしまして。またいつでもご相談ください。",
        "easy": "どういたしまして。また いつでも どうぞ。",
        "en": "You're welcome. Write to us any time.",
    },
    "group.unsupported": {
        "ja": "{centre}のLINE窓口は、1対1のトークでご相談を受け付けています。個別にメッセージをお送りください。",
        "easy": "この LINEは 1対1の トークで そうだんを うけます。",
        "en": "This account answers in one-to-one chats. Please message us directly.",
    },
    "error.sorry": {
        "ja": "申し訳ありません。うまく処理できませんでした。もう一度お試しいただくか、相談員におつなぎします。",
        "easy": "ごめんなさい。うまく できませんでした。もう いちど おくるか、人と はなしてください。",
        "en": "Sorry, something went wrong. Please try again, or talk to a coordinator.",
    },
    "label.volunteer": {"ja": "ボランティアを始めたい", "easy": "ボランティアを したい", "en": "Volunteer"},
    "label.founding": {"ja": "団体・NPOをつくる", "easy": "グループを つくる", "en": "Start a group/NPO"},
    "label.dissolution": {"ja": "解散・継続の相談", "easy": "グループを やめる", "en": "Close a group"},
    "label.partnering": {"ja": "協働・連携したい", "easy": "ほかの 団体と 協力", "en": "Partner with others"},
    "label.booking": {"ja": "相談を予約", "easy": "そうだんを よやく", "en": "Book a consultation"},
    "label.human": {"ja": "相談員と話したい", "easy": "人と はなしたい", "en": "Talk to a person"},
    "label.centre_info": {"ja": "センターの案内", "easy": "センターの こと", "en": "About the centre"},
    "label.menu": {"ja": "最初に戻る", "easy": "さいしょに もどる", "en": "Main menu"},
    "answer.helpful": {
        "ja": "この回答は役に立ちましたか？",
        "easy": "この こたえは やくに たちましたか？",
        "en": "Was this answer helpful?",
    },
    "answer.feedback_yes": {
        "ja": "ありがとうございます。ほかにもご質問があれば、どうぞ送ってください。",
        "easy": "ありがとうございます。ほかにも しつもんが あれば おくってください。",
        "en": "Thank you. Send another question any time.",
    },
    "answer.feedback_no": {
        "ja": "お役に立てず申し訳ありません。相談員に直接ご相談いただくこともできます。",
        "easy": "ごめんなさい。そうだんいんと はなす ことも できます。",
        "en": "Sorry it did not help. You can talk to a coordinator.",
    },
    "answer.did_you_mean": {
        "ja": "もしかして、次のどれかについてのご質問ですか？",
        "easy": "つぎの どれかに ついての しつもんですか？",
        "en": "Did you mean one of these?",
    },
    "answer.dont_know": {
        "ja": "わかりません。申し訳ありません、このご質問にはお答えできる情報がありません。担当者（相談員）におつなぎできます。",
        "easy": "わかりません。ごめんなさい。そうだんいんに つなぐ ことが できます。",
        "en": "Sorry, I don't know the answer. I can connect you with a coordinator.",
    },
    "answer.only_japanese": {
        "ja": "（この回答は日本語のみです。）",
        "easy": "（この こたえは、ふつうの 日本語で 書いて あります。）",
        "en": "(Sorry, this answer is only available in Japanese.)",
    },
    "answer.path_intro": {
        "ja": "「{label}」について、よくあるご質問です。近いものを選ぶか、知りたいことを文で送ってください。",
        "easy": "「{label}」の よくある しつもんです。えらぶか、文で おくってください。",
        "en": 'Common questions about "{label}". Choose one or type your question.',
    },
    "answer.unsure_path": {
        "ja": "どちらについてのご相談ですか？",
        "easy": "どちらの そうだんですか？",
        "en": "Which is your question about?",
    },
    "human.contact": {
        "ja": "相談員と直接お話しになりたい場合は、{centre}へお電話（{phone}／{hours}）いただくか、ホームページのフォーム（{web_url}）からご連絡ください。",
        "easy": "そうだんいんと はなしたい ときは、でんわ（{phone}／{hours}）か、ホームページ（{web_url}）から れんらくしてください。",
        "en": "To talk to a coordinator, call {centre} at {phone} ({hours}) or use the web form: {web_url}",
    },
    "booking.phone": {
        "ja": "相談のご予約・日程のご確認は、{centre}へお電話（{phone}／{hours}）でお問い合わせください。",
        "easy": "そうだんの よやくは、でんわ（{phone}／{hours}）で れんらくしてください。",
        "en": "To book a consultation, please call {centre} at {phone} ({hours}).",
    },
    "out_of_scope": {
        "ja": "申し訳ありません。そのご用件は、このLINE窓口ではお答えできません。市の手続きなどは、お住まいの区役所や横浜市の窓口にお問い合わせください。市民活動やボランティアのご相談なら、お手伝いできます。",
        "easy": "ごめんなさい。その ことは ここでは こたえられません。区役所に きいてください。ボランティアや 市民活動の そうだんは できます。",
        "en": "Sorry, this desk cannot help with that. For city procedures, please ask your ward office. We can help with volunteering and civic activities.",
    },
    "crisis.urgent": {
        "ja": "つらい気持ちを話してくださって、ありがとうございます。あなたのことが心配です。ひとりで抱えずに、今すぐ話を聞いてくれる窓口に連絡してください。",
        "easy": "はなして くれて ありがとう。あなたの ことが しんぱいです。いますぐ でんわで そうだん してください。",
        "en": "Thank you for telling us. We are worried about you. Please contact one of these lines now; they will listen.",
    },
    "crisis.gentle": {
        "ja": "無理をなさらないでくださいね。もしつらい気持ちが続くときは、話を聞いてくれる窓口もあります。",
        "easy": "むりを しないでください。つらい ときは でんわで そうだん できます。",
        "en": "Please take care. If you feel overwhelmed, these lines will listen.",
    },
    "crisis.emergency": {
        "ja": "命の危険があるときは、すぐに110番（警察）か119番（救急）に電話してください。",
        "easy": "いのちが あぶない ときは 110 か 119 に でんわ してください。",
        "en": "If a life is in danger, call 110 (police) or 119 (ambulance) now.",
    },
    "language.set": {
        "ja": "日本語でご案内します。",
        "easy": "これから やさしい 日本語で はなします。",
        "en": "I will reply in simple English. For other languages, please ask to talk to a person.",
    },
    "label.resume": {"ja": "「{title}」の続き", "easy": "「{title}」の つづき", "en": "Back to {title}"},
    "label.coordinator_help": {"ja": "相談員に相談する", "easy": "そうだんいんに きく", "en": "Ask a coordinator"},
    "path.no_answer": {
        "ja": "ありがとうございます。このご相談は、相談員が詳しくお話をうかがいます。無料の相談の予約もできます。",
        "easy": "ありがとうございます。そうだんいんが くわしく ききます。そうだんの よやくも できます。",
        "en": "Thank you. A coordinator can help you with this. You can also book a free consultation.",
    },
    "path.reask": {
        "ja": "すみません、うまく読み取れませんでした。下のボタンから選ぶか、短い言葉で送ってください。",
        "easy": "ごめんなさい。わかりませんでした。下の ボタンを えらぶか、みじかい ことばで おくってください。",
        "en": "Sorry, I could not read that. Please choose below or reply in a few words.",
    },
    "path.understood": {
        "ja": "{title}のご相談で、「{choices}」ですね。",
        "easy": "{title}の そうだんで、「{choices}」ですね。",
        "en": "About {title}: {choices}.",
    },
    "path.summary": {
        "ja": "{choices} ということで、ご案内します。",
        "easy": "あなたの こたえは「{choices}」ですね。それに あわせて しょうかい します。",
        "en": "You said: {choices}. Here is what fits.",
    },
    "language.other": {
        "ja": (
            "Sorry, this bot answers only in Japanese and simple English. "
            'A person at the centre can help you: tap "Talk to a person".\n'
            "ごめんなさい。この ボットは 日本語と かんたんな 英語だけ です。センターの 人と はなせます。"
        ),
    },
    "language.other_line": {  # one line in the resident's own language, before the English and easy Japanese
        "ja": "",
        "zh": "抱歉，本机器人只能用日语和简单的英语回答。请点击“Talk to a person”，与中心的工作人员联系。",
        "ko": "죄송합니다. 이 봇은 일본어와 쉬운 영어로만 답할 수 있습니다. 'Talk to a person'을 누르면 센터 직원과 이야기할 수 있습니다.",
        "vi": "Xin lỗi, chatbot này chỉ trả lời bằng tiếng Nhật và tiếng Anh đơn giản. Hãy bấm “Talk to a person” để nói chuyện với nhân viên của trung tâm.",
        "es": "Lo sentimos, este bot solo responde en japonés e inglés sencillo. Pulse “Talk to a person” para hablar con una persona del centro.",
        "pt": "Desculpe, este bot só responde em japonês e inglês simples. Toque em “Talk to a person” para falar com uma pessoa do centro.",
        "tl": "Paumanhin, sumasagot lang ang bot na ito sa Japanese at simpleng English. Pindutin ang “Talk to a person” para makausap ang isang tao sa center.",
        "id": "Maaf, bot ini hanya menjawab dalam bahasa Jepang dan bahasa Inggris sederhana. Tekan “Talk to a person” untuk berbicara dengan petugas.",
    },
    "label.english": {"ja": "English"},
    "label.easy_japanese": {"ja": "やさしい日本語"},
    "label.helpful_yes": {"ja": "役に立った", "easy": "やくに たった", "en": "Helpful"},
    "label.helpful_no": {"ja": "役に立たなかった", "easy": "やくに たたなかった", "en": "Not helpful"},
    "label.book_now": {"ja": "この相談を予約", "easy": "そうだんを よやく", "en": "Book a consultation"},
    "throttle.notice": {
        "ja": "メッセージが多いため、しばらくお返事を控えます。少し時間をおいてから、もう一度お送りください。いただいたメッセージは記録しています。",
        "easy": "メッセージが たくさん 来たので、すこし まってから もう いちど おくってください。メッセージは きろく しています。",
        "en": "We have received a lot of messages, so we will pause our replies for a moment. Please wait a little and send your message again. Your messages have been saved.",
    },
}


# Placeholders every text may use, filled from the settings by `configure` (the app factory, the worker).
PUBLIC_VALUES: dict[str, str] = {"privacy_url": "http://127.0.0.1:8000/privacy"}


def configure(public_base_url: str) -> None:
    """Point {privacy_url} at this deployment's public address (PUBLIC_BASE_URL)."""
    PUBLIC_VALUES["privacy_url"] = public_base_url.rstrip("/") + "/privacy"


def t(key: str, lang: str = "ja", **values: str) -> str:
    """The string for `key` in `lang` (falling back to Japanese), with {placeholders} filled."""
    variants = TEXTS[key]
    template = variants.get(lang) or variants["ja"]
    if values or any("{" + name + "}" in template for name in PUBLIC_VALUES):
        return template.format(**{**PUBLIC_VALUES, **values})
    return template
