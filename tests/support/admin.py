"""Admin test helpers: `make_admin_user(session, role)` and `login_as(client_or_page, role)` (CSRF done for real)."""

from __future__ import annotations

import itertools
import re

from admin.models import AdminUser
from admin.people import accounts

PASSWORD = "correct-horse-battery"
_numbers = itertools.count(1)
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_admin_user(session, role: str = "staff", email: str | None = None, password: str = PASSWORD) -> AdminUser:
    """A new account with this role (flushed, not committed)."""
    email = email or f"{role}{next(_numbers)}@example.jp"
    return accounts.create_user(session, email, role, password, name=f"{role}さん")


def create_user(app, role: str = "staff", email: str | None = None, password: str = PASSWORD) -> AdminUser:
    """A committed account in the app's database."""
    with app.extensions["madoguchi"].session_factory() as session:
        user = make_admin_user(session, role, email, password)
        session.commit()
        return user


def csrf_token(client, path: str = "/admin/login") -> str:
    """The CSRF token of a page's form (GET it with the test client)."""
    page = client.get(path).get_data(as_text=True)
    match = _TOKEN.search(page)
    assert match, f"no csrf_token on {path}"
    return match.group(1)


def post_form(client, path: str, data: dict | None = None, page: str | None = None, **kwargs):
    """POST a form the way a browser does: with the token from the page that shows it."""
    token = csrf_token(client, page or path)
    return client.post(path, data={"csrf_token": token, **(data or {})}, **kwargs)


def login_as(client_or_page, role: str = "staff", *, app=None, base_url: str = "", email: str | None = None):
    """Create an account with `role` and sign in with it (Flask test client, or a Playwright page + app/base_url)."""
    if hasattr(client_or_page, "application"):  # Flask test client
        client = client_or_page
        user = create_user(client.application, role, email)
        response = post_form(client, "/admin/login", {"email": user.email, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)
        return user
    page = client_or_page
    user = create_user(app, role, email)
    page.goto(f"{base_url}/admin/login")
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/admin/")
    return user
