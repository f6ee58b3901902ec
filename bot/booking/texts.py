"""Booking strings shown to residents (Japanese, with one English note); `bt(key, **values)` fills them in."""

from __future__ import annotations

from datetime import date, datetime

from bot.booking.rules import TOKYO

WEEKDAY = "月火水木金土日"

TEXTS: dict[str, str] = {
    "english_note": "Booking a consultation: the next steps are in Japanese. Tap a date and a time to book. "
    "If you would like help in English, send 「相談員と話したい」 (talk to a person) and a coordinator will help you.",
    "choose_type": "どの相談をご予約になりますか？",
    "dates": "「{name}」のご予約ですね。{description}\n（{duration}分・{place}）\nご希望の日を選んでください。",
    "dates_from": "{day}以降で空きのある日です。ご希望の日を選んでください。",
    "no_dates": "申し訳ありません。「{name}」は、いま予約を受け付けている空き枠がありません。"
    "お電話（{phone}／{hours}）でもご相談いただけます。",
    "times": "{day}の空いている時間です。ご希望の時間を選んでください。",
    "no_times": "{day}は空きがありません。",
    "summary": "{when}の「{name}」を、{until}まで仮押さえしました（まだ確定していません）。\n"
    "次に：{ask}\n（省略する場合は「スキップ」）\nそのあと確認画面で「この内容で予約する」を押すと、ご予約が確定します。",
    "confirm_title": "ご予約内容の確認",
    "confirm_hint": "よろしければ「この内容で予約する」を押してください（{until}まで仮押さえ中）。",
    "confirmed": "ご予約が確定しました。当日お待ちしています。",
    "details": "相談：{name}\n日時：{when}\n場所：{place}\n持ち物：{bring}",
    "number": "予約番号：{id}",
    "how_to_cancel": "キャンセル・変更は、メニューの「予約の確認・変更・キャンセル」から{deadline}まで。"
    "それ以降はお電話（{phone}）でご連絡ください。",
    "aborted": "ご予約の手続きをやめました。またいつでもどうぞ。",
    "mine_none": "現在、確定しているご予約はありません。",
    "mine_alt": "ご予約の一覧（{count}件）",
    "mine_head": "ご予約は{count}件です。キャンセル・変更は各ご予約のボタンからどうぞ。",
    "cancel_ask": "{when}の「{name}」のご予約をキャンセルしますか？",
    "cancelled": "{when}の「{name}」のご予約をキャンセルしました。",
    "call_us": "お手数ですが、お電話（{phone}／{hours}）でご連絡ください。",
    "resched": "変更後の日時を選んでください。新しい日時が確定するまで、いまのご予約はそのまま残ります。",
    "rescheduled": "日時を変更しました（前のご予約はキャンセルしました）。",
    "waiting": "{when}のキャンセル待ちに登録しました。空きが出たらLINEでお知らせします。",
    "waiting_line": "キャンセル待ち：{when}「{name}」",
    "unwaited": "キャンセル待ちをやめました。",
    "offer": "キャンセル待ちの{when}「{name}」に空きが出ました。{until}までに「予約する」を押すと確定します。"
    "過ぎると次の方にご案内します。",
    "staff_cancelled": "{when}の「{name}」のご予約は、センターの都合によりキャンセルとなりました。"
    "申し訳ありません。詳しくはお電話（{phone}）でお問い合わせください。",
    "reminder_day": "【明日のご予約】",
    "reminder_2h": "【まもなくご予約の時間です】",
    "next_options": "ほかの日時をお選びいただけます。",
    "limit": "ご予約の確認・キャンセルは「予約の確認・変更・キャンセル」からどうぞ。",
    "existing": "いまのご予約：{bookings}\n確認・変更・キャンセルは「予約の確認・変更・キャンセル」からどうぞ。",
    "existing_more": "別のご予約を追加する場合は、このまま日にちを選んでください。",
    "label.confirm": "この内容で予約する",
    "label.redo": "日時を選び直す",
    "label.abort": "やめる",
    "label.skip": "スキップ",
    "label.pick": "カレンダーから選ぶ",
    "label.types": "相談の種類を変える",
    "label.other_day": "別の日にする",
    "label.more": "もっと先の日付",
    "label.mine": "予約の確認・変更・キャンセル",
    "label.cancel": "キャンセルする",
    "label.resched": "日時を変更する",
    "label.cancel_yes": "はい、キャンセルする",
    "label.cancel_no": "いいえ",
    "label.wait": "キャンセル待ちに登録",
    "label.unwait": "キャンセル待ちをやめる",
    "label.book": "予約する",
    "label.book_new": "相談を予約",
    "place.centre": "センターで対面",
    "place.online": "オンライン",
    "place.phone": "お電話",
    "where.centre": "{centre}（{address}）",
    "where.online": "オンライン（接続方法はセンターからご連絡します）",
    "where.phone": "お電話（センターからおかけします）",
}


def bt(key: str, **values) -> str:
    """The booking text for `key`, with values filled in (a type name quoted in 「」 keeps its own quotes as 『』)."""
    if "name" in values:
        values["name"] = inner_quotes(str(values["name"]))
    return TEXTS[key].format(**values) if values else TEXTS[key]


def inner_quotes(name: str) -> str:
    """「強化案件相談日「NPO法人の解散」」 reads as nested brackets: quotes inside a quoted name become 『』."""
    return name.replace("「", "『").replace("」", "』")


def day_label(day: date) -> str:
    """「12/3(木)」."""
    return f"{day.month}/{day.day}({WEEKDAY[day.weekday()]})"


def day_long(day: date) -> str:
    """「2026年12月3日(木)」."""
    return f"{day.year}年{day.month}月{day.day}日({WEEKDAY[day.weekday()]})"


def hm(moment: datetime) -> str:
    """「10:00」 in local time."""
    return _hm(moment)


def _hm(moment: datetime) -> str:
    local = moment.astimezone(TOKYO)
    return f"{local.hour}:{local.minute:02d}"


def span(starts_at: datetime, ends_at: datetime) -> str:
    """「10:00〜11:00」."""
    return f"{_hm(starts_at)}〜{_hm(ends_at)}"


def when(starts_at: datetime, ends_at: datetime) -> str:
    """「2026年12月3日(木) 10:00〜11:00」."""
    return f"{day_long(starts_at.astimezone(TOKYO).date())} {span(starts_at, ends_at)}"


def moment_label(moment: datetime) -> str:
    """「12/2(水) 17:00」."""
    local = moment.astimezone(TOKYO)
    return f"{day_label(local.date())} {_hm(local)}"
