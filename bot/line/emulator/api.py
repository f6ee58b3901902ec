"""The Messaging API mock's blueprint: bearer authentication, LINE's error shape, request ids, body validation."""

from __future__ import annotations

import hmac
import uuid

from flask import Blueprint, current_app, g, jsonify, request

from bot.line.emulator import limits, schema
from bot.line.emulator.store import EmulatorStore

bp = Blueprint("line_api", __name__, url_prefix="/line")
SPEC = "messaging-api.yml"
AUTH_REQUIRED = "Authorization header required. Must follow the scheme, 'Authorization: Bearer <ACCESS TOKEN>'"
AUTH_FAILED = "Authentication failed. Confirm that the access token in the authorization header is valid."


class LineError(Exception):
    """An error answer in LINE's shape; logged as a violation unless it is a normal outcome (404 profile, 409)."""

    def __init__(
        self,
        status: int,
        message: str,
        details: list[dict] | None = None,
        *,
        note: str | None = None,
        violation: bool = True,
        headers: dict | None = None,
        extra: dict | None = None,
    ):
        super().__init__(message)
        self.status, self.message, self.details = status, message, details or []
        self.note, self.violation, self.headers, self.extra = note, violation, headers or {}, extra or {}


def store() -> EmulatorStore:
    """The emulator state of the current app."""
    return current_app.extensions["line_emulator"]


@bp.before_request
def _authenticate():
    g.line_request_id = str(uuid.uuid4())
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise LineError(401, AUTH_REQUIRED)
    expected = current_app.config.get("LINE_CHANNEL_ACCESS_TOKEN") or ""
    if not expected or not hmac.compare_digest(header.removeprefix("Bearer ").encode(), expected.encode()):
        raise LineError(401, AUTH_FAILED)


@bp.after_request
def _request_id(response):
    response.headers["X-Line-Request-Id"] = g.get("line_request_id", "")
    return response


@bp.errorhandler(LineError)
def _line_error(exc: LineError):
    body = {"message": exc.message, **({"details": exc.details} if exc.details else {}), **exc.extra}
    if exc.violation:
        error = f"{exc.message} ({exc.note})" if exc.note else exc.message
        store().add_violation(endpoint(), exc.status, error, exc.details, request_body())
    return jsonify(body), exc.status, exc.headers


@bp.route("/<path:rest>", methods=["GET", "POST", "PUT", "DELETE"])
def not_emulated(rest: str):
    """Any other endpoint: 404 like an unknown LINE path, logged so a missing emulation is noticed."""
    raise LineError(404, "Not found", note=f"{request.method} /{rest} is not emulated")


def endpoint() -> str:
    """The method and API path of this request, e.g. POST /v2/bot/message/reply."""
    return f"{request.method} /v2/{request.path.split('/v2/', 1)[-1]}"


def request_body():
    """The request body for the violations log: parsed JSON, text, or a note about binary content."""
    data = request.get_json(silent=True)
    if data is not None:
        return data
    raw = request.get_data(cache=True)
    if request.mimetype.startswith("image/"):
        return f"<{len(raw)} bytes of {request.mimetype}>"
    return raw.decode("utf-8", errors="replace")[:2000]


def validated(schema_name: str, messages_key: str | None = "messages", rich_menu: bool = False) -> dict:
    """The JSON body, checked against the spec's schema and LINE's documented limits; raises LineError."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        detail = {"message": "must be a JSON object (Content-Type: application/json)", "property": ""}
        raise LineError(400, "The request body has 1 error(s)", [detail])
    details = schema.errors(SPEC, schema_name, data)
    if messages_key:
        details += limits.check_messages(data.get(messages_key), [messages_key])
    if rich_menu:
        details += limits.check_rich_menu(data)
    first: dict[str, dict] = {}
    for detail in details:
        first.setdefault(detail["property"], detail)
    unique = list(first.values())
    if unique:
        raise LineError(400, f"The request body has {len(unique)} error(s)", unique)
    return data


def retry_key(allowed: bool) -> str | None:
    """The X-Line-Retry-Key header (a UUID); LINE refuses it on APIs that do not support retries."""
    key = request.headers.get("X-Line-Retry-Key")
    if key is None:
        return None
    if not allowed:
        raise LineError(400, "X-Line-Retry-Key is not supported for this API")
    try:
        uuid.UUID(key)
    except ValueError:
        raise LineError(400, "X-Line-Retry-Key must be a UUID in hexadecimal format") from None
    return key.lower()
