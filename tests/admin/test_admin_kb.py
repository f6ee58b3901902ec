"""Import/export pages: download YAML and CSV, upload them back (staff only, CSRF, all or nothing)."""

from __future__ import annotations

import io

from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from knowledge.entries import load_content
from knowledge.models import FaqEntry
from tests.support.admin import csrf_token


def upload(client, name: str, body: bytes):
    """POST a file the way a browser does. The body is encoded in memory: past 500 KB Werkzeug's test client
    would spool it to a temporary file it never closes (a ResourceWarning, an error under filterwarnings)."""
    data = {"csrf_token": csrf_token(client, "/admin/kb/"), "file": FileStorage(io.BytesIO(body), name)}
    boundary, encoded = encode_multipart(data)
    content_type = f"multipart/form-data; boundary={boundary}"
    return client.post("/admin/kb/import", data=encoded, content_type=content_type, follow_redirects=True)


def test_downloads_are_attachments(staff):
    yaml_file = staff.get("/admin/kb/export.yaml")
    csv_file = staff.get("/admin/kb/export.csv")
    assert 'filename="madoguchi-faq.yaml"' in yaml_file.headers["Content-Disposition"]
    assert csv_file.mimetype == "text/csv" and csv_file.get_data(as_text=True).startswith("\ufeffid,topic,status")


def test_an_edited_export_uploads_back(staff, factory):
    text = staff.get("/admin/kb/export.yaml").get_data(as_text=True)
    edited = text.replace(
        "NPO法人には、社員が10人以上必要です。", "NPO法人には、社員が10人以上必要です（確認済み）。", 1
    )
    page = upload(staff, "faq.yaml", edited.encode()).get_data(as_text=True)
    assert "更新: 1件 founding.npo_min_members" in page
    with factory() as s:
        assert "（確認済み）" in s.get(FaqEntry, "founding.npo_min_members").answer


def test_the_csv_export_uploads_back_unchanged(staff):
    body = staff.get("/admin/kb/export.csv").data
    page = upload(staff, "faq.csv", body).get_data(as_text=True)
    assert "新規: 0件" in page and "更新: 0件" in page and f"変更なし: {len(load_content())}件" in page


def test_a_broken_upload_is_explained(staff):
    assert "YAMLとして読めません" in upload(staff, "x.yaml", b"entries: [").get_data(as_text=True)
    assert "UTF-8" in upload(staff, "x.csv", "id".encode("utf-16")).get_data(as_text=True)


def test_coordinators_cannot_export_or_import(as_role):
    coordinator = as_role("coordinator")
    assert coordinator.get("/admin/kb/export.csv").status_code == 403
