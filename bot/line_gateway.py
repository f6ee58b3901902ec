"""The only module that calls the Messaging API (through line-bot-sdk v3)."""

from __future__ import annotations

import json
import logging

from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    Configuration,
    MessagingApi,
    PushMessageRequest,
    ReplyMessageRequest,
    ShowLoadingAnimationRequest,
)

log = logging.getLogger(__name__)


class SendError(Exception):
    """A failed Messaging API call, with LINE's status code and message."""

    def __init__(self, status: int | None, message: str):
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message

    @property
    def invalid_reply_token(self) -> bool:
        """LINE rejected the reply token (used, expired or unknown)."""
        return self.status == 400 and "reply token" in self.message.lower()


class LineGateway:
    """Reply, push, profile and loading animation against LINE (or the emulator)."""

    def __init__(self, api_base: str, access_token: str, timeout: float = 10.0):
        config = Configuration(host=api_base, access_token=access_token)
        config.retries = 0  # the outbox retries with backoff and keeps state; urllib3 must not retry blindly
        self._client = ApiClient(config)
        self._api = MessagingApi(self._client)
        self._timeout = timeout

    def reply(self, reply_token: str, messages: list[dict]) -> None:
        """Send with a reply token (free of charge)."""
        request = ReplyMessageRequest.from_dict({"replyToken": reply_token, "messages": messages})
        self._call(self._api.reply_message, request)

    def push(self, to: str, messages: list[dict], retry_key: str) -> None:
        """Send with the push API; the retry key makes retries safe."""
        request = PushMessageRequest.from_dict({"to": to, "messages": messages})
        self._call(self._api.push_message, request, x_line_retry_key=retry_key)

    def show_loading(self, user_id: str, seconds: int = 5) -> None:
        """Show the loading animation in the user's chat (best effort)."""
        try:
            self._call(
                self._api.show_loading_animation, ShowLoadingAnimationRequest(chatId=user_id, loadingSeconds=seconds)
            )
        except SendError as exc:
            log.info("loading animation not shown: %s", exc)

    def display_name(self, user_id: str) -> str | None:
        """The user's LINE display name, or None when LINE does not give it."""
        try:
            return self._call(self._api.get_profile, user_id).display_name
        except SendError:
            return None

    def _call(self, method, *args, **kwargs):
        try:
            return method(*args, _request_timeout=self._timeout, **kwargs)
        except ApiException as exc:
            raise SendError(exc.status, _message(exc.body)) from exc
        except Exception as exc:  # urllib3 timeouts and connection errors
            raise SendError(None, f"{type(exc).__name__}: {exc}") from exc


def _message(body) -> str:
    try:
        data = json.loads(body or "{}")
    except (TypeError, ValueError):
        return str(body)
    details = "; ".join(d.get("message", "") for d in data.get("details") or [])
    return f"{data.get('message', '')} {details}".strip()
