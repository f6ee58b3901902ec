"""What a coordinator reads in the console: the resident's taps as the labels they saw, the bot's messages in
short, and the bot's understanding as Japanese labels (presentation only; nothing here changes a conversation)."""

from __future__ import annotations

from urllib.parse import parse_qsl

from bot.dialogue.flows.guided import load_paths
from bot.dialogue.texts import TEXTS
from bot.line.messages import clip, visible_text
from bot.line.richmenu import AREAS

BOT_TEXT_MAX = 160  # a coordinator needs the gist of an answer; the full card is in the resident's LINE
SLOT_LABELS = {"org_type": "団体の種類", "ward": "区", "ward_name": "区", "path": "相談の分野"}
ORG_TYPE_JA = {
    "npo_corp": "NPO法人",
    "neighbourhood": "町内会・自治会",
    "general_assoc": "一般社団法人",
    "voluntary_group": "任意団体・サークル",
    "company": "企業",
    "school": "学校",
}
INTENT_JA = {  # intents without a menu label of their own
    "crisis": "危機の兆候",
    "out_of_scope": "対象外の話題",
    "greeting": "あいさつ",
    "coordinator": "担当者",
}
TAPPED = {  # what a postback without a remembered label was, by its action
    "menu": "最初に戻る",
    "human": "相談員と話したい",
    "faq": "質問の候補",
    "fb": "回答の評価",
    "lang": "言語の切り替え",
    "resume": "案内の続き",
    "book": "この相談を予約",
}


def actions_of(message: dict) -> list[dict]:
    """Every tappable action of a message: quick-reply chips and flex or template buttons."""
    found = [item["action"] for item in (message.get("quickReply") or {}).get("items", [])]
    stack = [message.get("contents") or message.get("template") or {}]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(reversed(node))
        elif isinstance(node, dict):
            if isinstance(node.get("action"), dict):
                found.append(node["action"])
            stack.extend(v for k, v in node.items() if k != "action" and isinstance(v, dict | list))
    return found


def rich_menu_labels() -> dict[str, str]:
    """Postback data → label of the rich menu's areas (always on screen, so never in a message)."""
    return {area.data: area.label for area in AREAS}


def tapped_label(data: str, offered: dict[str, str]) -> str:
    """「［ボタン］ボランティア」: the label (or displayText) of the tapped button, else what kind of button it was."""
    label = offered.get(data)
    if label is None:
        values = dict(parse_qsl(data))
        action = values.get("a", "")
        if action == "path" and f"label.{values.get('p')}" in TEXTS:
            label = TEXTS[f"label.{values['p']}"]["ja"]
        elif action.startswith("bk."):
            label = "予約の操作"
        else:
            label = TAPPED.get(action, "ボタン")
    return f"［ボタン］{label}"


def remember_offered(message: dict, offered: dict[str, str]) -> None:
    """Record what each postback of a sent message would show when tapped (its displayText, else its label)."""
    for action in actions_of(message):
        if action.get("type") == "postback" and action.get("data"):
            offered[action["data"]] = action.get("displayText") or action.get("label") or ""


def bot_text(message: dict | None, fallback: str) -> str:
    """A sent message in short: a card's alt text once (not its body again), chips as one line of choices."""
    if not message:
        return fallback
    if message.get("type") == "text":
        text = message.get("text", "")
    elif message.get("altText"):
        text = clip(message["altText"], BOT_TEXT_MAX)
    else:
        text = clip(visible_text({k: v for k, v in message.items() if k != "quickReply"}), BOT_TEXT_MAX)
    chips = [item["action"].get("label", "") for item in (message.get("quickReply") or {}).get("items", [])]
    return f"{text}\n［選択肢］{'／'.join(c for c in chips if c)}" if chips else text


def intent_label(intent: str | None) -> str:
    """A path's or intent's Japanese name (the id when there is none)."""
    if not intent:
        return "—"
    path = load_paths().get(intent)
    if path is not None:
        return path.title.get("ja", intent)
    key = f"label.{intent}"
    return TEXTS[key]["ja"] if key in TEXTS else INTENT_JA.get(intent, intent)


def slot_items(slots: dict | None) -> list[tuple[str, str]]:
    """(label, value) pairs a person can read: the path, each answered question and its answer, ward, org type."""
    slots = slots or {}
    items: list[tuple[str, str]] = []
    path = load_paths().get(str(slots.get("path", "")))
    if path is not None:
        items.append((SLOT_LABELS["path"], path.title.get("ja", path.id)))
    for step_id, value in (slots.get("steps") or {}).items():
        step = path.step(step_id) if path else None
        option = step.option(value) if step else None
        question = _question(step.ask.get("ja", step_id)) if step else step_id
        items.append((question, option.labels.get("ja", value) if option else str(value)))
    for key, value in slots.items():
        if key in ("path", "steps", "date_words"):
            continue
        shown = "・".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
        items.append((SLOT_LABELS.get(key, key), ORG_TYPE_JA.get(shown, shown)))
    return items


def _question(ask: str) -> str:
    """「ボランティアについてですね。どなたの活動のご相談ですか？」 → 「どなたの活動のご相談ですか」."""
    sentences = [part for part in ask.replace("？", "。").replace("?", "。").split("。") if part.strip()]
    return clip(sentences[-1].strip() if sentences else ask, 40)
