"""GET /calendar/<type_code>.ics?token=…: a consultation type's iCal feed behind a secret URL (no login)."""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, abort, request
from sqlalchemy import select

from bot.booking.ical import type_calendar
from bot.booking.models import ConsultationType
from bot.platform.services import services

bp = Blueprint("booking_ical", __name__)


@bp.get("/calendar/<type_code>.ics")
def feed(type_code: str):
    """The feed, or 404 for an unknown type or a wrong token (the two are indistinguishable)."""
    svc = services()
    token = request.args.get("token", "")
    with svc.session_factory() as session:
        ctype = session.scalar(select(ConsultationType).where(ConsultationType.code == type_code[:30]))
        expected = ctype.ical_token if ctype is not None else "x" * 32
        if not hmac.compare_digest(token.encode(), expected.encode()) or ctype is None:
            abort(404)
        body = type_calendar(session, ctype, svc.context.now(), svc.context.profile.name)
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Cache-Control": "private, max-age=300", "Content-Disposition": f"inline; filename={type_code}.ics"},
    )
