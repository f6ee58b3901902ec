"""Admin hardening: session-cookie settings, CSRF on every unsafe request and the security headers."""

from __future__ import annotations

import os
from datetime import timedelta

from flask import Flask, Response, abort, current_app, request
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms import ValidationError

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",  # the booking and console layouts carry inline <style> blocks
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def cookie_secure(config) -> bool:
    """Secure cookies unless testing, the demo/emulator or ADMIN_COOKIE_SECURE=0 (on for `madoguchi serve`)."""
    explicit = config.get("ADMIN_COOKIE_SECURE", os.environ.get("ADMIN_COOKIE_SECURE"))
    if explicit is not None and explicit != "":
        return str(explicit).lower() not in ("0", "false", "no", "off")
    return not (config.get("TESTING") or config.get("EMULATOR_ENABLED") or config.get("DEBUG"))


def configure(app: Flask) -> None:
    """Cookie settings for the admin login session (10 idle hours unless ADMIN_SESSION_HOURS), run on registration."""
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = cookie_secure(app.config)
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=float(app.config.get("ADMIN_SESSION_HOURS", 10)))
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 10 * 3600)


def check_csrf() -> None:
    """Refuse an unsafe request without a valid Flask-WTF token (form field csrf_token or X-CSRFToken header)."""
    if request.method not in UNSAFE_METHODS or not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    token = request.form.get("csrf_token") or request.headers.get("X-CSRFToken")
    try:
        validate_csrf(token)
    except (ValidationError, CSRFError) as exc:
        abort(400, description=f"CSRF: {exc}")


def add_headers(response: Response) -> Response:
    """The security headers of every admin response (HSTS only when cookies are secure, i.e. behind TLS)."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response
