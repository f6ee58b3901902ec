"""Messaging API mock: rich menus (create, validate, image upload/download, list, delete, default and per-user)."""

from __future__ import annotations

import io
import secrets

from flask import Response, request
from PIL import Image, UnidentifiedImageError

from bot.line.emulator.api import LineError, bp, store, validated
from bot.line.emulator.store import RichMenu

IMAGE_TYPES = {"image/png": "PNG", "image/jpeg": "JPEG"}
IMAGE_MAX_BYTES = 1024 * 1024
NO_IMAGE = "must upload richmenu image before applying it to user"


def _menu(rich_menu_id: str) -> RichMenu:
    menu = store().rich_menus.get(rich_menu_id)
    if menu is None:
        raise LineError(404, "Not found", note=f"no rich menu {rich_menu_id}")
    return menu


@bp.post("/v2/bot/richmenu")
def create_rich_menu():
    """Create a rich menu; answers its id."""
    body = validated("RichMenuRequest", messages_key=None, rich_menu=True)
    rich_menu_id = "richmenu-" + secrets.token_hex(16)
    with store().lock:
        store().rich_menus[rich_menu_id] = RichMenu({"richMenuId": rich_menu_id, **body})
    return {"richMenuId": rich_menu_id}


@bp.post("/v2/bot/richmenu/validate")
def validate_rich_menu():
    """Validate a rich menu object without creating it."""
    validated("RichMenuRequest", messages_key=None, rich_menu=True)
    return {}


@bp.get("/v2/bot/richmenu/list")
def rich_menu_list():
    """All rich menus."""
    with store().lock:
        return {"richmenus": [m.menu for m in store().rich_menus.values()]}


@bp.get("/v2/bot/richmenu/<rich_menu_id>")
def rich_menu(rich_menu_id: str):
    """One rich menu."""
    with store().lock:
        return _menu(rich_menu_id).menu


@bp.delete("/v2/bot/richmenu/<rich_menu_id>")
def delete_rich_menu(rich_menu_id: str):
    """Delete a rich menu and every link to it."""
    with store().lock:
        _menu(rich_menu_id)
        del store().rich_menus[rich_menu_id]
        if store().default_rich_menu == rich_menu_id:
            store().default_rich_menu = None
        for user in store().users.values():
            if user.rich_menu_id == rich_menu_id:
                user.rich_menu_id = None
        store().changed.notify_all()
    return {}


@bp.post("/v2/bot/richmenu/<rich_menu_id>/content")
def upload_image(rich_menu_id: str):
    """Upload the menu's image once: PNG or JPEG, at most 1 MB, exactly the menu's size."""
    content_type = request.mimetype
    if content_type not in IMAGE_TYPES:
        raise LineError(400, "Content-Type must be image/png or image/jpeg", note=f"got {content_type or 'none'}")
    data = request.get_data(cache=True)
    if len(data) > IMAGE_MAX_BYTES:
        raise LineError(400, "The image is larger than 1 MB", note=f"{len(data)} bytes")
    try:
        with Image.open(io.BytesIO(data)) as image:
            size, image_format = image.size, image.format
    except (UnidentifiedImageError, OSError):
        raise LineError(400, "The image could not be read") from None
    with store().lock:
        menu = _menu(rich_menu_id)
        expected = (menu.menu["size"]["width"], menu.menu["size"]["height"])
        if image_format != IMAGE_TYPES[content_type] or size != expected:
            note = f"got {image_format} {size}, expected {IMAGE_TYPES[content_type]} {expected}"
            raise LineError(400, "The image does not match the rich menu", note=note)
        if menu.image is not None:
            raise LineError(400, "An image has already been uploaded to the richmenu")
        menu.image, menu.content_type = data, content_type
        store().changed.notify_all()
    return {}


@bp.get("/v2/bot/richmenu/<rich_menu_id>/content")
def download_image(rich_menu_id: str):
    """The menu's image."""
    with store().lock:
        menu = _menu(rich_menu_id)
        if menu.image is None:
            raise LineError(404, "Not found", note="no image uploaded")
        return Response(menu.image, mimetype=menu.content_type)


@bp.post("/v2/bot/user/all/richmenu/<rich_menu_id>")
def set_default_rich_menu(rich_menu_id: str):
    """Make a menu (with its image) the default for every user."""
    with store().lock:
        if _menu(rich_menu_id).image is None:
            raise LineError(400, NO_IMAGE)
        store().default_rich_menu = rich_menu_id
        store().changed.notify_all()
    return {}


@bp.get("/v2/bot/user/all/richmenu")
def default_rich_menu():
    """The default menu's id."""
    with store().lock:
        menu_id = store().default_rich_menu
    if menu_id is None:
        raise LineError(404, "no default richmenu", violation=False)
    return {"richMenuId": menu_id}


@bp.delete("/v2/bot/user/all/richmenu")
def clear_default_rich_menu():
    """Remove the default menu."""
    with store().lock:
        store().default_rich_menu = None
        store().changed.notify_all()
    return {}


@bp.post("/v2/bot/user/<user_id>/richmenu/<rich_menu_id>")
def link_rich_menu(user_id: str, rich_menu_id: str):
    """Link a menu (with its image) to one user."""
    with store().lock:
        if _menu(rich_menu_id).image is None:
            raise LineError(400, NO_IMAGE)
        store().user(user_id).rich_menu_id = rich_menu_id
        store().changed.notify_all()
    return {}


@bp.get("/v2/bot/user/<user_id>/richmenu")
def linked_rich_menu(user_id: str):
    """The id of the menu linked to a user."""
    with store().lock:
        user = store().users.get(user_id)
        menu_id = user.rich_menu_id if user else None
    if menu_id is None:
        raise LineError(404, "the user has no richmenu", violation=False)
    return {"richMenuId": menu_id}


@bp.delete("/v2/bot/user/<user_id>/richmenu")
def unlink_rich_menu(user_id: str):
    """Unlink the user's own menu (the default applies again)."""
    with store().lock:
        store().user(user_id).rich_menu_id = None
        store().changed.notify_all()
    return {}
