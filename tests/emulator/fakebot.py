"""The fake bot behind the emulator in tests, a client for the running app, and shared test data."""

from __future__ import annotations

import io
import json
import threading
import time
import urllib.error
import urllib.request

from flask import abort, request
from linebot.v3 import WebhookParser
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.messaging import ApiClient, Configuration, MessagingApi, ReplyMessageRequest
from PIL import Image

from bot.line.emulator import store_for
from tests.support.live_server import LiveServer

SECRET = "emulator-test-secret"
TOKEN = "emulator-test-token"
USER = "U" + "1" * 32


def png(width: int, height: int) -> bytes:
    """A blank PNG image."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(out, format="PNG")
    return out.getvalue()


MENU = {
    "size": {"width": 2500, "height": 843},
    "selected": True,
    "name": "test-menu",
    "chatBarText": "メニュー",
    "areas": [
        {
            "bounds": {"x": 0, "y": 0, "width": 1250, "height": 843},
            "action": {"type": "postback", "label": "相談", "data": "a=talk", "displayText": "相談"},
        },
        {
            "bounds": {"x": 1250, "y": 0, "width": 1250, "height": 843},
            "action": {"type": "message", "label": "営業時間", "text": "営業時間"},
        },
    ],
}


class FakeBot:
    """The bot under the emulator: parses each webhook with the SDK and replies with the SDK's MessagingApi."""

    def __init__(self):
        self.base = ""
        self.bodies: list[tuple[str, str]] = []
        self.replies_for = self.default_replies
        self.threads: list[threading.Thread] = []

    def api_client(self) -> ApiClient:
        """An SDK client pointed at the emulator."""
        config = Configuration(host=f"{self.base}/emulator/line", access_token=TOKEN)
        config.retries = 0
        return ApiClient(config)

    @staticmethod
    def default_replies(event: dict) -> list[dict] | None:
        """Replies by event kind; None means do not reply."""
        if event["type"] == "follow":
            chips = [
                {"type": "action", "action": {"type": "message", "label": "はい", "text": "はい"}},
                {
                    "type": "action",
                    "action": {"type": "postback", "label": "予約", "data": "a=book", "displayText": "予約"},
                },
            ]
            return [{"type": "text", "text": "友だち追加ありがとうございます", "quickReply": {"items": chips}}]
        if event["type"] == "message":
            content = event["message"]
            said = content.get("text", content["type"])
            if said == "返信しない":
                return None
            return [{"type": "text", "text": f"「{said}」ですね"}, {"type": "text", "text": "ほかにありますか？"}]
        if event["type"] == "postback":
            return [{"type": "text", "text": f"postback {event['postback']['data']} {event['postback'].get('params')}"}]
        return None

    def callback(self):
        """POST /callback."""
        body = request.get_data(as_text=True)
        signature = request.headers.get("X-Line-Signature", "")
        try:
            WebhookParser(SECRET).parse(body, signature)
        except InvalidSignatureError:
            abort(400)
        self.bodies.append((body, signature))
        for event in json.loads(body)["events"]:
            messages = self.replies_for(event)
            if messages is None or "replyToken" not in event:
                continue
            if event.get("message", {}).get("text") == "あとで":
                thread = threading.Thread(target=self.reply_later, args=(event["replyToken"], messages))
                self.threads.append(thread)
                thread.start()
            else:
                self.reply(event["replyToken"], messages)
        return "OK"

    def reply(self, token: str, messages: list[dict]) -> None:
        """Reply with the real SDK."""
        with self.api_client() as client:
            MessagingApi(client).reply_message(
                ReplyMessageRequest.from_dict({"replyToken": token, "messages": messages})
            )

    def reply_later(self, token: str, messages: list[dict]) -> None:
        """Reply after the webhook has been answered (as bots with a worker do)."""
        time.sleep(0.3)
        self.reply(token, messages)

    def events(self) -> list[dict]:
        """Every event received so far."""
        return [e for body, _ in self.bodies for e in json.loads(body)["events"]]


class Emulator:
    """The running test app: its base URL, store, fake bot and a JSON client for the emulator's HTTP API."""

    def __init__(self, server: LiveServer, bot: FakeBot):
        self.url = server.url
        self.app = server.app
        self.store = store_for(server.app)
        self.bot = bot

    def call(self, method: str, path: str, payload=None, headers: dict | None = None, raw: bytes | None = None):
        """(status, parsed JSON or raw bytes, headers) for a request to the app."""
        data = raw if raw is not None else (json.dumps(payload).encode() if payload is not None else None)
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        req = urllib.request.Request(self.url + path, data=data, headers=all_headers, method=method)  # noqa: S310
        try:
            with urllib.request.urlopen(req, timeout=30) as response:  # noqa: S310 (loopback test server)
                return response.status, _decode(response), response.headers
        except urllib.error.HTTPError as exc:
            with exc:
                return exc.code, _decode(exc), exc.headers

    def line(self, method: str, path: str, payload=None, token: str | None = TOKEN, headers=None, raw=None):
        """Call the Messaging API mock directly, as a bot that does not use the SDK would."""
        auth = {"Authorization": f"Bearer {token}"} if token is not None else {}
        return self.call(method, "/emulator/line" + path, payload, headers={**auth, **(headers or {})}, raw=raw)

    def user(self, user_id: str, action: str, payload=None) -> dict:
        """POST /emulator/api/users/<id>/<action>; asserts 200 and returns the JSON."""
        status, body, _ = self.call("POST", f"/emulator/api/users/{user_id}/{action}", payload or {})
        assert status == 200, body
        return body


def _decode(response):
    raw = response.read()
    if response.headers.get_content_type() == "application/json":
        return json.loads(raw)
    return raw
