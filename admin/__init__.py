"""The admin: ONE parent blueprint at /admin with ONE sign-in and role guard; one child blueprint per screen."""

from __future__ import annotations

import importlib
import importlib.util

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask_wtf.csrf import generate_csrf
from sqlalchemy.exc import NoResultFound
from werkzeug.exceptions import HTTPException

from admin import inputs, security
from admin.content.kb import IMPORT_REQUEST_BYTES
from admin.models import ROLE_JA, ROLES
from admin.people import auth
from bot.platform.db import unit_of_work
from bot.platform.services import services

bp = Blueprint(
    "admin",
    __name__,
    url_prefix="/admin",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)
ALL = frozenset(ROLES)
STAFF = frozenset({"admin", "staff"})
ADMIN = frozenset({"admin"})
# blueprint → (roles that may read, roles that may change); anything not listed is for admins only.
ACCESS: dict[str, tuple[frozenset, frozenset]] = {
    "admin": (ALL, ALL),
    "admin.auth": (ALL, ALL),
    "admin.faq": (STAFF, STAFF),
    "admin.kb": (STAFF, STAFF),
    "admin.unanswered": (STAFF, STAFF),
    "admin.insights": (STAFF, STAFF),
    "admin.report": (STAFF, STAFF),  # the monthly consultation report (anonymous figures)
    "admin.users": (ADMIN, ADMIN),
    "admin.settings": (ADMIN, ADMIN),
    "admin.residents": (ADMIN, ADMIN),  # residents' personal data: export and erasure
    "admin.booking_admin": (STAFF | {"coordinator"}, STAFF),  # coordinators read bookings only
    "admin.console": (ALL, ALL),
    "admin.outbox": (ADMIN, ADMIN),  # undeliverable messages: contents of residents' chats
    "admin.notices": (STAFF, STAFF),  # opt-in notices: paid multicasts, so not for coordinators
}
PUBLIC_ENDPOINTS = frozenset({"admin.auth.login", "admin.static"})
OPTIONAL_CHILDREN = (  # registered when present
    "admin.operations.booking_views",
    "admin.operations.console",
    "admin.operations.outbox",
    "admin.operations.notices",
)
OPTIONAL_BLUEPRINTS = frozenset({"admin.booking_admin", "admin.console"})


def allowed(role: str, blueprint: str | None, method: str) -> bool:
    """Whether a role may make a request with this method to this blueprint."""
    read, write = ACCESS.get(blueprint or "", (ADMIN, ADMIN))
    return role in (write if method in security.UNSAFE_METHODS else read)


@bp.record_once
def _configure(state) -> None:
    security.configure(state.app)
    state.app.url_map.converters["int"] = inputs.IdConverter  # before any admin route is added: ids fit a BIGINT


@bp.before_request
def guard():
    """Every admin request: sign-in (else the login page), role (else 403), then the CSRF token."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        security.check_csrf()
        return None
    user = auth.load_user()
    if user is None:
        target = request.full_path if request.query_string else request.path
        return redirect(url_for("admin.auth.login", next=target))
    g.admin_user = user
    if not allowed(user.role, request.blueprint, request.method):
        abort(403)
    # Only staff allowed here may send more than the app's request limit, and only to the form that needs it.
    if request.endpoint == "admin.kb.import_file":
        request.max_content_length = IMPORT_REQUEST_BYTES
    security.check_csrf()
    return None


@bp.after_request
def _after(response):
    if request.blueprint in OPTIONAL_BLUEPRINTS and request.method in security.UNSAFE_METHODS:
        if response.status_code < 400:
            _audit_generic()
    return security.add_headers(response)


def _audit_generic() -> None:
    """Changes made on other issues' screens (booking, console), which write no audit entry of their own."""
    if auth.current_admin() is None or g.get("audited"):
        return
    fields = sorted(k for k in request.form if k != "csrf_token" and "password" not in k)
    with unit_of_work(services().session_factory) as db:
        auth.audit(db, request.endpoint or request.path, str(request.view_args or "")[:200], {"fields": fields})


@bp.errorhandler(HTTPException)
def _error(exc: HTTPException):
    if exc.code not in (400, 403, 404):
        return exc
    detail = exc.description if isinstance(exc, inputs.BadInput) else None
    return render_template("admin/error.html", code=exc.code, detail=detail), exc.code


@bp.errorhandler(NoResultFound)
def _gone(_exc: NoResultFound):
    """A record removed meanwhile (e.g. a resident erased while their page was open): not found, not a 500."""
    return render_template("admin/error.html", code=404), 404


@bp.context_processor
def _layout_values() -> dict:
    user = auth.current_admin()
    return {
        "admin_user": user,
        "ROLE_JA": ROLE_JA,
        "csrf_token": generate_csrf,
        "fmt_time": fmt_time,
        "can": (lambda blueprint, write=False: bool(user) and _can(user.role, blueprint, write)),
    }


def fmt_time(moment, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC time shown in the centre's timezone."""
    return moment.astimezone(services().context.tz).strftime(pattern) if moment else ""


def _can(role: str, blueprint: str, write: bool) -> bool:
    name = f"admin.{blueprint}"
    return name in current_app.blueprints and allowed(role, name, "POST" if write else "GET")


@bp.get("/")
def home():
    """The start page: what needs attention, and the screens this role may use."""
    from admin.overview import attention

    with services().session_factory() as db:
        counts = attention(db, services().context.today()) if auth.current_admin().role != "coordinator" else {}
    return render_template("admin/home.html", counts=counts)


def _register_children() -> None:
    from admin.content import faq, kb, unanswered
    from admin.insights import dashboard as insights
    from admin.insights import report
    from admin.operations import settings
    from admin.people import residents, users

    for module in (auth, faq, kb, unanswered, insights, report, users, residents, settings):
        bp.register_blueprint(module.bp)
    for name in OPTIONAL_CHILDREN:
        if importlib.util.find_spec(name) is not None:
            bp.register_blueprint(importlib.import_module(name).bp)


_register_children()
