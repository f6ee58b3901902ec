"""The report screen: staff generate a month and download its PDF and CSV files; coordinators are refused."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from admin.people import accounts
from tests.support.admin import csrf_token, login_as, post_form


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch):
    """Argon2 with minimal cost in tests; the code paths are the same."""
    monkeypatch.setattr(accounts, "HASHER", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


def signed_in(app, role: str):
    client = app.test_client()
    login_as(client, role)
    return client


def test_staff_generate_a_month_and_download_the_pdf_and_a_csv(seeded, app):
    staff = signed_in(app, "staff")
    page = staff.get("/admin/report/")
    assert page.status_code == 200 and "まだ作成されたレポートはありません" in page.get_data(as_text=True)
    response = post_form(staff, "/admin/report/", {"month": "2026-11"}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "2026年11月のレポートを作成しました" in html and "2026年11月" in html
    pdf = staff.get("/admin/report/2026-11.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert 'filename="madoguchi-report-2026-11.pdf"' in pdf.headers["Content-Disposition"]
    csv = staff.get("/admin/report/2026-11/madoguchi-report-2026-11-intents.csv")
    assert csv.status_code == 200 and csv.data.startswith("\ufeff".encode())
    assert "ボランティア,件数,件,16,6,10,166.7," in csv.get_data(as_text=True)


def test_a_month_never_generated_or_a_file_that_is_not_there_is_not_found(seeded, app):
    staff = signed_in(app, "staff")
    assert staff.get("/admin/report/2026-10.pdf").status_code == 404
    post_form(staff, "/admin/report/", {"month": "2026-11"})
    assert staff.get("/admin/report/2026-11/secret.csv").status_code == 404
    assert staff.get("/admin/report/2026-11/..%2Fetc.csv").status_code == 404


def test_a_month_that_is_not_one_is_a_clear_400(app):
    staff = signed_in(app, "staff")
    response = post_form(staff, "/admin/report/", {"month": "2026-13"})
    assert response.status_code == 400 and "YYYY-MM" in response.get_data(as_text=True)
    assert staff.get("/admin/report/1999-01.pdf").status_code == 400


def test_coordinators_may_neither_see_generate_nor_download(seeded, app):
    staff = signed_in(app, "staff")
    post_form(staff, "/admin/report/", {"month": "2026-11"})
    coordinator = signed_in(app, "coordinator")
    token = csrf_token(coordinator, "/admin/")
    assert coordinator.get("/admin/report/").status_code == 403
    assert coordinator.get("/admin/report/2026-11.pdf").status_code == 403
    assert coordinator.get("/admin/report/2026-11/madoguchi-report-2026-11-intents.csv").status_code == 403
    assert coordinator.post("/admin/report/", data={"csrf_token": token, "month": "2026-11"}).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(app):
    response = app.test_client().get("/admin/report/2026-11.pdf")
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]
