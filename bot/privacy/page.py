"""GET /privacy: what the LINE desk records, why, for how long, and how to ask for a copy or deletion."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from bot.platform.services import services

bp = Blueprint("privacy", __name__, template_folder="templates")


@bp.get("/privacy")
def page():
    """The privacy notice linked from the follow greeting (plain HTML, Japanese, no scripts)."""
    profile = services().context.profile
    response = current_app.make_response(
        render_template("privacy/page.html", centre=profile, retention_days=services().context.retention_days)
    )
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
