"""The only module that calls the Messaging API (through line-bot-sdk v3).

Replies and pushes go through the SDK's ApiClient's connection pool and headers (bearer token, user agent; its
ApiException for errors) with their JSON bodies as the dicts the bot built, serialised once, not through the typed
MessagingApi methods: turning a flex message into SDK models and back costs about 1 ms of CPU per send, more than
the rest of the call, and the messages are already checked against LINE's spec (every message the test suite
queues is validated, and the emulator validates every request). Everything else uses the typed API.

Every call waits its turn at a per-process gate: at most `max_per_second` requests (LINE allows 2,000 per second
for sending) and none while a 429's Retry-After runs. Failures raise SendError, which says whether the call may
have been processed by LINE (`uncertain`: a 5xx, a timeout, a connection cut after sending) and whether
retrying makes sense.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import orjson
import urllib3
from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    Configuration,
    MessagingApi,
    ShowLoadingAnimationRequest,
)
from linebot.v3.messaging.rest import RESTResponse
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

log = logging.getLogger(__name__)
DEFAULT_429_PAUSE = 1.0  # seconds, when LINE gives no Retry-After


class SendError(Exception):
    """A failed Messaging API call, with LINE's status code (None: no HTTP answer) and message."""

    def __init__(self, status: int | None, message: str, retry_after: float | None = None, uncertain: bool = False):
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message
        self.retry_after = retry_after
        self.uncertain = uncertain  # the request may have been processed (5xx, read timeout, connection cut)

    @property
    def invalid_reply_token(self) -> bool:
        """LINE rejected the reply token (used, expired or unknown)."""
        return self.status == 400 and "reply token" in self.message.lower()

    @property
    def monthly_limit(self) -> bool:
        """The channel's monthly message limit is reached: retrying this month cannot help."""
        return self.status == 429 and "monthly limit" in self.message.lower()

    @property
    def retryable(self) -> bool:
        """Worth another attempt later: no answer, 429 (except the monthly limit) or a server error."""
        if self.monthly_limit:
            return False
        return self.status is None or self.status == 429 or self.status >= 500


class RateGate:
    """Spaces requests to at most `per_second` and holds them while a 429 pause runs (thread-safe)."""

    def __init__(self, per_second: float):
        self._interval = 1.0 / per_second if per_second > 0 else 0.0
        self._lock = threading.Lock()
        self._next = 0.0
        self._paused_until = 0.0

    def wait(self) -> None:
        """Sleep until this request may go."""
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next, self._paused_until)
            self._next = start + self._interval
        if start > now:
            time.sleep(start - now)

    def pause(self, seconds: float) -> None:
        """Hold every request for `seconds` (after a 429)."""
        with self._lock:
            self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    def paused_for(self) -> float:
        """Seconds left of the current pause (0 when none)."""
        with self._lock:
            return max(0.0, self._paused_until - time.monotonic())


class LineGateway:
    """Reply, push, multicast, profile and loading animation against LINE (or the emulator)."""

    def __init__(self, api_base: str, access_token: str, timeout: float = 10.0, max_per_second: float = 1000.0):
        config = Configuration(host=api_base, access_token=access_token)
        config.retries = 0  # the outbox retries with backoff and keeps state; urllib3 must not retry blindly
        self._client = ApiClient(config)
        self._host = config.host  # as the SDK joins it with a path
        self._api = MessagingApi(self._client)
        self._timeout = timeout
        self.gate = RateGate(max_per_second)

    def paused_for(self) -> float:
        """Seconds left of a rate-limit pause LINE asked for (the outbox defers sending meanwhile)."""
        return self.gate.paused_for()

    def reply(self, reply_token: str, messages: list[dict]) -> None:
        """Send with a reply token (free of charge)."""
        self._call(self._post, "/v2/bot/message/reply", {"replyToken": reply_token, "messages": messages})

    def push(self, to: str, messages: list[dict], retry_key: str) -> None:
        """Send with the push API; a retry with the same key is safe: LINE's 409 means it was accepted before."""
        try:
            self._call(self._post, "/v2/bot/message/push", {"to": to, "messages": messages}, retry_key)
        except SendError as exc:
            if exc.status != 409:
                raise
            log.info("push with retry key %s was accepted before (409); not sent again", retry_key)

    def multicast(self, to: list[str], messages: list[dict], retry_key: str) -> None:
        """Send the same messages to up to 500 users (paid like a push per recipient); 409 on a repeated key means
        LINE accepted this request before and delivered nothing now."""
        try:
            self._call(self._post, "/v2/bot/message/multicast", {"to": to, "messages": messages}, retry_key)
        except SendError as exc:
            if exc.status != 409:
                raise
            log.info("multicast with retry key %s was accepted before (409); not sent again", retry_key)

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

    def _post(self, path: str, body: dict, retry_key: str | None = None, _request_timeout=None) -> None:
        """POST a JSON body to a Messaging API path on the SDK client's connection pool, with its headers (bearer
        token, user agent); a non-2xx answer raises the SDK's ApiException, as its own calls do. The body is
        serialised once, as UTF-8: the SDK's call_api walks every node of it first and escapes all Japanese."""
        headers = {**self._client.default_headers, "Content-Type": "application/json", "Accept": "application/json"}
        if retry_key is not None:
            headers["X-Line-Retry-Key"] = retry_key
        data = orjson.dumps(body)
        timeout = urllib3.Timeout(total=_request_timeout) if _request_timeout else None
        rest = self._client.rest_client
        try:
            response = rest.pool_manager.request("POST", self._host + path, body=data, headers=headers, timeout=timeout)
        except urllib3.exceptions.SSLError as exc:
            raise ApiException(status=0, reason=f"{type(exc).__name__}\n{exc}") from exc
        if not 200 <= response.status <= 299:
            error = ApiException(http_resp=RESTResponse(response))
            error.body = error.body.decode("utf-8", "replace") if isinstance(error.body, bytes) else error.body
            raise error

    def _call(self, method, *args, **kwargs):
        self.gate.wait()
        try:
            return method(*args, _request_timeout=self._timeout, **kwargs)
        except ApiException as exc:
            if exc.status == 0:  # the SDK's wrapper of SSL and low-level errors
                raise SendError(None, str(exc.reason), uncertain=True) from exc
            uncertain = exc.status >= 500  # LINE may have processed it before failing
            error = SendError(exc.status, _message(exc.body), _retry_after(exc.headers), uncertain)
            if exc.status == 429:
                self.gate.pause(error.retry_after if error.retry_after is not None else DEFAULT_429_PAUSE)
            raise error from exc
        except Exception as exc:  # urllib3 timeouts and connection errors
            raise SendError(None, f"{type(exc).__name__}: {exc}", uncertain=not _never_sent(exc)) from exc


def _never_sent(exc: BaseException) -> bool:
    """The request cannot have reached LINE: the connection was never made."""
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return False
        if isinstance(seen, NewConnectionError | ConnectTimeoutError | ConnectionRefusedError):
            return True
        seen = getattr(seen, "reason", None) or seen.__cause__ or seen.__context__
    return False


def _retry_after(headers) -> float | None:
    """Retry-After in seconds (delta-seconds or an HTTP date), None when absent or unreadable."""
    value = (headers or {}).get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        # LINE's HTTP date is on the real clock, not the app's (which tests and offline tools may freeze)
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


def _message(body) -> str:
    try:
        data = json.loads(body or "{}")
    except (TypeError, ValueError):
        return str(body)
    details = "; ".join(d.get("message", "") for d in data.get("details") or [])
    return f"{data.get('message', '')} {details}".strip()
