"""The console mounted under a stand-in admin parent (its guard sets flask.g.admin_user), a recording LINE."""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import SimpleNamespace

from flask import Blueprint, g

from admin.operations.console import bp as console_bp
from bot.line.sender import Sender
from tests.handoff.factories import RecordingGateway

PREFIX = "/t/console"
SATO = SimpleNamespace(id=7, email="sato@example.jp", role="coordinator", name="佐藤")
SUZUKI = SimpleNamespace(id=8, email="suzuki@example.jp", role="staff", name="鈴木")


@dataclass
class Console:
    """A coordinator's browser in the test client: GET pages, POST forms with the page's CSRF token."""

    client: object
    who: list
    gateway: RecordingGateway

    def act_as(self, admin) -> None:
        """Switch the logged-in coordinator."""
        self.who[0] = admin

    def get(self, path: str = "/", **kwargs):
        """GET a console page."""
        return self.client.get(PREFIX + path, **kwargs)

    def page(self, path: str = "/") -> str:
        """A console page's HTML (asserting 200)."""
        response = self.get(path)
        assert response.status_code == 200, response.data
        return response.get_data(as_text=True)

    def token(self) -> str:
        """The CSRF token of the queue page."""
        return re.search(r'name="csrf-token" content="([^"]+)"', self.page()).group(1)

    def post(self, path: str, json: bool = False, **form):
        """POST a form with a valid CSRF token (as JSON-accepting fetch when `json`)."""
        headers = {"Accept": "application/json"} if json else {}
        return self.client.post(PREFIX + path, data={"csrf_token": self.token(), **form}, headers=headers)


def mount_console(app, record: bool = True) -> Console:
    """Register the console under a stand-in admin parent; LINE calls go to a recording gateway when `record`."""
    who = [SATO]
    parent = Blueprint("t_admin", __name__, url_prefix="/t")

    @parent.before_request
    def _login():
        g.admin_user = who[0]

    parent.register_blueprint(console_bp)
    app.register_blueprint(parent)
    svc = app.extensions["madoguchi"]
    gateway = RecordingGateway()
    if record:
        svc.gateway = gateway
        svc.sender = Sender(svc.session_factory, gateway, asynchronous=False)  # type: ignore[arg-type]
    return Console(app.test_client(), who, gateway)
