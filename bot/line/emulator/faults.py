"""Fault injection: make the next N Messaging API calls fail the ways LINE (or the network) can fail.

Control it over HTTP (see bot/line/emulator/README.md):

    POST   /emulator/api/faults   {"status": 500, "count": 2}             two calls answer 500
                                  {"status": 429, "retry_after": 2}       one 429 with Retry-After: 2
                                  {"mode": "timeout", "delay_ms": 3000}   processed, answered 3 s late
                                  {"mode": "drop"}                        socket closed, nothing processed
                                  {"delay_ms": 500}                       slow but successful
                                  optional: "paths": ["/v2/bot/message/push"], "deliver": true|false
    GET    /emulator/api/faults   {"pending": [...], "injected": [...]}
    DELETE /emulator/api/faults   clear every pending fault and the log

`deliver` says whether the request takes effect before the failure is shown: by default a status fault
and a drop do not deliver (LINE refused it, the connection broke on the way in), a timeout does (LINE
accepted it, the answer came too late). A dropped connection is closed (shutdown) without any HTTP
response, so the client sees "Remote end closed connection without response".
"""

from __future__ import annotations

import logging
import socket
import time

from flask import current_app, g, jsonify, request

from bot.line.emulator import api, users
from bot.line.emulator.fault_plan import MODES, Fault, FaultPlan, parse

log = logging.getLogger(__name__)
MESSAGES = {429: "Too Many Requests", 500: "An error occurred in the internal server"}


def plan() -> FaultPlan:
    """The fault plan of the current app's emulator."""
    return current_app.extensions["line_emulator"].faults


@users.bp.post("/faults")
def add_fault():
    """Queue a fault for the next Messaging API calls."""
    try:
        fault = parse(users._payload())
    except ValueError as exc:
        return users._bad_request(str(exc))
    plan().add(fault)
    return plan().to_json(), 201


@users.bp.get("/faults")
def list_faults():
    """Pending faults and the faults injected so far."""
    return plan().to_json()


@users.bp.delete("/faults")
def clear_faults():
    """Clear every pending fault and the log."""
    plan().clear()
    return plan().to_json()


def _api_path() -> str:
    return "/v2/" + request.path.split("/v2/", 1)[-1]


def _error(fault: Fault):
    headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
    body = {"message": MESSAGES.get(fault.status, "Injected fault")}
    return jsonify(body), fault.status, headers


def _drop():
    """Close the connection without an answer; werkzeug's write then fails quietly (a dropped client)."""
    sock = request.environ.get("werkzeug.socket") or request.environ.get("gunicorn.socket")
    if sock is None:
        log.warning("cannot drop the connection on this server; answering 502 instead")
        return jsonify({"message": "Injected fault: connection drop not supported here"}), 502
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    return "", 502


@api.bp.before_request
def _inject_before():
    fault = plan().take(_api_path(), api.endpoint())
    if fault is None:
        return None
    if fault.deliver:
        g.line_fault = fault
        if not fault.mode:
            time.sleep(fault.delay_ms / 1000)
        return None
    time.sleep(fault.delay_ms / 1000)
    if fault.status:
        return _error(fault)
    if fault.mode in MODES:
        return _drop()
    return None  # a plain delay: then handled normally


@api.bp.after_request
def _inject_after(response):
    fault = g.pop("line_fault", None)
    if fault is None:
        return response
    if fault.status:
        return current_app.make_response(_error(fault))
    if fault.mode == "timeout":
        time.sleep(fault.delay_ms / 1000)
        return response
    if fault.mode == "drop":
        return current_app.make_response(_drop())
    return response
