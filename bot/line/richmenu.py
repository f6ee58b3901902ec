"""The eight-area rich menu: an image drawn with Pillow and a Japanese font, created and linked via the API."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from pathlib import Path

from linebot.v3.messaging import (
    ApiClient,
    Configuration,
    MessagingApi,
    MessagingApiBlob,
    RichMenuRequest,
)
from PIL import Image, ImageDraw, ImageFont

log = logging.getLogger(__name__)
WIDTH, HEIGHT = 2500, 1686
NAME = "madoguchi-main"
FONT_PATHS = (
    Path("/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf"),
    Path("/usr/share/fonts/truetype/fonts-japanese-gothic.ttf"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
)


COLUMNS, ROWS = 4, 2


@dataclass(frozen=True)
class Area:
    """One tappable area: its label (what the chat shows when tapped), sub-label, colour and postback data;
    `drawn` is the label as drawn on the image when it needs two lines."""

    label: str
    sub: str
    colour: str
    data: str
    drawn: str = ""

    @property
    def lines(self) -> list[str]:
        """The label's lines on the image."""
        return (self.drawn or self.label).split("\n")


AREAS = (
    Area("ボランティア", "はじめたい・さがしたい", "#2e7d32", "a=path&p=volunteer"),
    Area("団体をつくる・運営", "NPO・任意団体", "#1565c0", "a=path&p=founding", "団体をつくる・\n運営"),
    Area("解散・継続", "NPO・町内会・サークル", "#6d4c41", "a=path&p=dissolution"),
    Area("協働・連携", "行政・企業・地域と", "#00838f", "a=path&p=partnering"),
    Area("相談を予約", "無料の相談", "#ef6c00", "a=path&p=booking"),
    Area(
        "予約の確認・変更・キャンセル",
        "ご予約の一覧",
        "#ad1457",
        "a=path&p=my_bookings",
        "予約の確認・\n変更・キャンセル",
    ),
    Area("センターの案内", "場所・開館時間", "#5e35b1", "a=path&p=centre_info"),
    Area("相談員と話す", "人につなぎます", "#c62828", "a=human"),
)


def font(size: int) -> ImageFont.FreeTypeFont:
    """A Japanese font from Debian's packages (fonts-ipafont-gothic)."""
    for path in FONT_PATHS:
        if path.exists():
            return ImageFont.truetype(str(path), size)
    raise FileNotFoundError("no Japanese font found: apt-get install fonts-ipafont-gothic")


def fitted(draw: ImageDraw.ImageDraw, text: str, size: int, width: int) -> ImageFont.FreeTypeFont:
    """The largest font up to `size` in which `text` fits `width` pixels."""
    while size > 20 and draw.textlength(text, font=font(size)) > width:
        size -= 4
    return font(size)


def bounds(index: int) -> dict[str, int]:
    """Bounds of area `index` in a 4×2 grid (the last column takes the rounding)."""
    col, row = index % COLUMNS, index // COLUMNS
    width, height = WIDTH // COLUMNS, HEIGHT // ROWS
    last = col == COLUMNS - 1
    return {"x": col * width, "y": row * height, "width": WIDTH - col * width if last else width, "height": height}


def draw_image() -> bytes:
    """The menu as a PNG."""
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    for i, area in enumerate(AREAS):
        b = bounds(i)
        box = (b["x"] + 12, b["y"] + 12, b["x"] + b["width"] - 12, b["y"] + b["height"] - 12)
        draw.rounded_rectangle(box, radius=48, fill=area.colour)
        cx, cy = b["x"] + b["width"] // 2, b["y"] + b["height"] // 2
        room = b["width"] - 90
        lines = area.lines
        size = min(fitted(draw, line, 104, room).size for line in lines)
        top = cy - 60 - (len(lines) - 1) * size * 0.6
        for n, line in enumerate(lines):
            draw.text((cx, top + n * size * 1.2), line, font=font(size), fill="white", anchor="mm")
        sub_y = top + (len(lines) - 1) * size * 1.2 + 130
        draw.text((cx, sub_y), area.sub, font=fitted(draw, area.sub, 56, room), fill="white", anchor="mm")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def menu_request() -> dict:
    """The rich menu object (validated by the API before it is created)."""
    return {
        "size": {"width": WIDTH, "height": HEIGHT},
        "selected": True,
        "name": NAME,
        "chatBarText": "メニュー",
        "areas": [{"bounds": bounds(i), "action": _action(a)} for i, a in enumerate(AREAS)],
    }


def _action(area: Area) -> dict:
    return {"type": "postback", "label": area.label, "data": area.data, "displayText": area.label}


def sync(api_base: str, data_api_base: str, access_token: str) -> str:
    """Create the menu, upload its image, make it the default and delete older copies; returns its id."""
    request = RichMenuRequest.from_dict(menu_request())
    with ApiClient(Configuration(host=api_base, access_token=access_token)) as client:
        api = MessagingApi(client)
        old = [m.rich_menu_id for m in api.get_rich_menu_list().richmenus if m.name == NAME]
        api.validate_rich_menu_object(request)
        menu_id = api.create_rich_menu(request).rich_menu_id
        with ApiClient(Configuration(host=data_api_base, access_token=access_token)) as blob_client:
            MessagingApiBlob(blob_client).set_rich_menu_image(
                menu_id, draw_image(), _headers={"Content-Type": "image/png"}
            )
        api.set_default_rich_menu(menu_id)
        for menu in old:
            api.delete_rich_menu(menu)
    log.info("rich menu %s is the default (%d old removed)", menu_id, len(old))
    return menu_id
