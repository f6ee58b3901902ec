"""The simplest LINE echo bot, the load benchmark's baseline: `gunicorn tests.bench.echo_app:app`.

Flask; the signature is checked and the body parsed with line-bot-sdk's WebhookParser, and each text message is
answered with the same text through the SDK's MessagingApi (reply token), inside the request, as the SDK's own
echo example does. Configured like the bot: LINE_CHANNEL_SECRET, LINE_CHANNEL_ACCESS_TOKEN, LINE_API_BASE.
"""

from __future__ import annotations

import os

from flask import Flask, abort, request
from linebot.v3 import WebhookParser
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.messaging import ApiClient, Configuration, MessagingApi, ReplyMessageRequest, TextMessage
from linebot.v3.webhooks import MessageEvent, TextMessageContent


def create_echo_app(env: dict[str, str] | None = None) -> Flask:
    """The echo bot for a channel secret, access token and API base taken from `env` (default os.environ)."""
    env = os.environ if env is None else env
    app = Flask(__name__)
    parser = WebhookParser(env["LINE_CHANNEL_SECRET"])
    configuration = Configuration(
        host=env.get("LINE_API_BASE", "https://api.line.me").rstrip("/"),
        access_token=env["LINE_CHANNEL_ACCESS_TOKEN"],
    )
    api = MessagingApi(ApiClient(configuration))

    @app.post("/callback")
    def callback():
        signature = request.headers.get("X-Line-Signature", "")
        body = request.get_data(as_text=True)
        try:
            events = parser.parse(body, signature)
        except InvalidSignatureError:
            abort(400)
        for event in events:
            if isinstance(event, MessageEvent) and isinstance(event.message, TextMessageContent):
                api.reply_message(
                    ReplyMessageRequest(reply_token=event.reply_token, messages=[TextMessage(text=event.message.text)])
                )
        return "OK"

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    return app


app = create_echo_app() if "LINE_CHANNEL_SECRET" in os.environ else None
