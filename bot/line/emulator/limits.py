"""LINE's documented limits that the OpenAPI spec does not encode, counted in UTF-16 code units like LINE."""

from __future__ import annotations

from bot.line.emulator.schema import prop_path

TEXT_MAX = 5000
ALT_TEXT_MAX = 1500
LABEL_MAX = 20
IMAGE_CAROUSEL_LABEL_MAX = 12
FLEX_LABEL_MAX = 40
ACTION_TEXT_MAX = 300
URI_MAX = 1000
URI_SCHEMES = ("http:", "https:", "line:", "tel:")
FLEX_CAROUSEL_MAX = 12
RICH_MENU_AREAS_MAX = 20


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units (a surrogate pair counts 2)."""
    return len(text.encode("utf-16-le")) // 2


def _length(value, path: list, low: int, high: int, required: bool = True) -> list[dict]:
    if value is None:
        return [{"message": "must be specified", "property": prop_path(path)}] if required else []
    if isinstance(value, str) and not low <= utf16_len(value) <= high:
        return [{"message": f"Length must be between {low} and {high}", "property": prop_path(path)}]
    return []


def _size(items, path: list, low: int, high: int) -> list[dict]:
    if isinstance(items, list) and not low <= len(items) <= high:
        return [{"message": f"Size must be between {low} and {high}", "property": prop_path(path)}]
    return []


def check_messages(messages, path: list) -> list[dict]:
    """Limit violations in a list of message objects found at `path`."""
    if not isinstance(messages, list):
        return []
    out: list[dict] = []
    for i, message in enumerate(messages):
        if isinstance(message, dict):
            out += _message(message, [*path, i])
    return out


def _message(message: dict, path: list) -> list[dict]:
    kind = message.get("type")
    out: list[dict] = []
    if kind in ("text", "textV2"):
        out += _length(message.get("text"), [*path, "text"], 1, TEXT_MAX)
    if kind in ("template", "flex", "imagemap"):
        out += _length(message.get("altText"), [*path, "altText"], 1, ALT_TEXT_MAX)
    if kind == "template" and isinstance(message.get("template"), dict):
        out += _template(message["template"], [*path, "template"])
    if kind == "flex" and isinstance(message.get("contents"), dict):
        out += _flex_container(message["contents"], [*path, "contents"])
    quick = message.get("quickReply")
    items = quick.get("items") if isinstance(quick, dict) else None
    for i, item in enumerate(items if isinstance(items, list) else []):
        if isinstance(item, dict):
            out += action(item.get("action"), [*path, "quickReply", "items", i, "action"], LABEL_MAX, True)
    return out


def _template(template: dict, path: list) -> list[dict]:
    kind, out = template.get("type"), []
    if kind == "buttons":
        with_header = bool(template.get("thumbnailImageUrl") or template.get("title"))
        out += _length(template.get("title"), [*path, "title"], 0, 40, required=False)
        out += _length(template.get("text"), [*path, "text"], 1, 60 if with_header else 160)
        out += _size(template.get("actions"), [*path, "actions"], 1, 4)
        out += _actions(template.get("actions"), [*path, "actions"], LABEL_MAX)
        out += action(template.get("defaultAction"), [*path, "defaultAction"], LABEL_MAX, False, optional=True)
    elif kind == "confirm":
        out += _length(template.get("text"), [*path, "text"], 1, 240)
        out += _size(template.get("actions"), [*path, "actions"], 2, 2)
        out += _actions(template.get("actions"), [*path, "actions"], LABEL_MAX)
    elif kind in ("carousel", "image_carousel"):
        columns = template.get("columns")
        out += _size(columns, [*path, "columns"], 1, 10)
        for i, column in enumerate(columns if isinstance(columns, list) else []):
            if isinstance(column, dict):
                out += _column(kind, column, [*path, "columns", i])
    return out


def _column(kind: str, column: dict, path: list) -> list[dict]:
    if kind == "image_carousel":
        return action(column.get("action"), [*path, "action"], IMAGE_CAROUSEL_LABEL_MAX, False)
    with_header = bool(column.get("thumbnailImageUrl") or column.get("title"))
    return (
        _length(column.get("title"), [*path, "title"], 0, 40, required=False)
        + _length(column.get("text"), [*path, "text"], 1, 60 if with_header else 120)
        + _size(column.get("actions"), [*path, "actions"], 1, 3)
        + _actions(column.get("actions"), [*path, "actions"], LABEL_MAX)
        + action(column.get("defaultAction"), [*path, "defaultAction"], LABEL_MAX, False, optional=True)
    )


def _actions(actions, path: list, label_max: int) -> list[dict]:
    if not isinstance(actions, list):
        return []
    return [d for i, a in enumerate(actions) for d in action(a, [*path, i], label_max, True)]


def _flex_container(container: dict, path: list) -> list[dict]:
    if container.get("type") != "carousel":
        return _flex(container, path)
    bubbles = container.get("contents")
    out = _size(bubbles, [*path, "contents"], 1, FLEX_CAROUSEL_MAX)
    for i, bubble in enumerate(bubbles if isinstance(bubbles, list) else []):
        if isinstance(bubble, dict):
            out += _flex(bubble, [*path, "contents", i])
    return out


def _flex(node: dict, path: list) -> list[dict]:
    out: list[dict] = []
    if "action" in node or node.get("type") == "button":
        out += action(node.get("action"), [*path, "action"], FLEX_LABEL_MAX, node.get("type") == "button")
    for key in ("header", "hero", "body", "footer"):
        if isinstance(node.get(key), dict):
            out += _flex(node[key], [*path, key])
    children = node.get("contents") if node.get("type") == "box" else None
    for i, child in enumerate(children if isinstance(children, list) else []):
        if isinstance(child, dict):
            out += _flex(child, [*path, "contents", i])
    return out


def action(act, path: list, label_max: int, label_required: bool, optional: bool = False) -> list[dict]:
    """Limit violations of one action object (label, texts, data, uri)."""
    if act is None and optional:
        return []
    if not isinstance(act, dict):
        return [{"message": "must be specified", "property": prop_path(path)}] if act is None else []
    kind, out = act.get("type"), []
    out += _length(act.get("label"), [*path, "label"], 1, label_max, required=label_required)
    if kind == "message":
        out += _length(act.get("text"), [*path, "text"], 1, ACTION_TEXT_MAX)
    if kind in ("postback", "datetimepicker"):
        out += _length(act.get("data"), [*path, "data"], 0, ACTION_TEXT_MAX)
    if kind == "postback":
        for key in ("displayText", "text", "fillInText"):
            out += _length(act.get(key), [*path, key], 1, ACTION_TEXT_MAX, required=False)
    if kind == "datetimepicker" and act.get("mode") is None:
        out.append({"message": "must be specified", "property": prop_path([*path, "mode"])})
    if kind == "uri":
        uri = act.get("uri")
        out += _length(uri, [*path, "uri"], 1, URI_MAX)
        if isinstance(uri, str) and not uri.lower().startswith(URI_SCHEMES):
            out.append({"message": "scheme must be http, https, line or tel", "property": prop_path([*path, "uri"])})
    return out


def check_rich_menu(menu) -> list[dict]:
    """Limit violations of a rich menu object (size, number of areas, area actions)."""
    if not isinstance(menu, dict):
        return []
    out: list[dict] = []
    size = menu.get("size") if isinstance(menu.get("size"), dict) else {}
    width, height = size.get("width"), size.get("height")
    if isinstance(width, int) and isinstance(height, int):
        if not 800 <= width <= 2500 or height < 250 or width / height < 1.45:
            message = "width must be 800 to 2500, height at least 250, width/height at least 1.45"
            out.append({"message": message, "property": "size"})
    for key in ("size", "selected", "name", "chatBarText", "areas"):
        if key not in menu:
            out.append({"message": "must be specified", "property": key})
    areas = menu.get("areas")
    out += _size(areas, ["areas"], 0, RICH_MENU_AREAS_MAX)
    for i, area in enumerate(areas if isinstance(areas, list) else []):
        if isinstance(area, dict):
            out += action(area.get("action"), ["areas", i, "action"], LABEL_MAX, False)
    return out
