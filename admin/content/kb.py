"""Import and export of the whole knowledge base as YAML or CSV, so content can be reviewed offline."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for

from admin.people.auth import audit, current_admin
from bot.platform.db import unit_of_work
from bot.platform.services import services
from knowledge import io as kb_io
from knowledge.editing import EditError

bp = Blueprint("kb", __name__, url_prefix="/kb")
MAX_IMPORT_BYTES = 5 * 1024 * 1024
FORM_OVERHEAD_BYTES = 64 * 1024  # multipart boundaries, headers and the CSRF field around the file
IMPORT_REQUEST_BYTES = MAX_IMPORT_BYTES + FORM_OVERHEAD_BYTES  # a whole export exceeds the app's webhook-sized limit


@bp.get("/")
def index():
    """Export links and the import form."""
    return render_template("admin/kb.html")


@bp.get("/export.yaml")
def export_yaml():
    """Every entry as a YAML stream (one content-file document per topic)."""
    with services().session_factory() as db:
        body = kb_io.export_yaml(db)
    return _download(body, "madoguchi-faq.yaml", "application/yaml; charset=utf-8")


@bp.get("/export.csv")
def export_csv():
    """Every entry as CSV (UTF-8 with BOM; list and dict columns as JSON)."""
    with services().session_factory() as db:
        body = kb_io.export_csv(db)
    return _download(body, "madoguchi-faq.csv", "text/csv; charset=utf-8")


def _download(body: str, name: str, mimetype: str) -> Response:
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.post("/import")
def import_file():
    """Create or update entries from an uploaded YAML or CSV export; all or nothing."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash("ファイルを選んでください。", "error")
        return redirect(url_for(".index"))
    raw = upload.read(MAX_IMPORT_BYTES + 1)
    try:
        if len(raw) > MAX_IMPORT_BYTES:
            raise EditError("ファイルが大きすぎます（5MBまで）。")
        text = raw.decode("utf-8")
        records = kb_io.parse_csv(text) if upload.filename.lower().endswith(".csv") else kb_io.parse_yaml(text)
        with unit_of_work(services().session_factory) as db:
            report = kb_io.import_records(db, records, current_admin().email)
            detail = {"file": upload.filename[:100], "created": report.created, "updated": report.updated}
            audit(db, "kb.import", None, detail)
    except UnicodeDecodeError:
        flash("UTF-8のファイルを選んでください。", "error")
        return redirect(url_for(".index"))
    except EditError as exc:
        flash(str(exc), "error")
        return redirect(url_for(".index"))
    return render_template("admin/kb.html", report=report)
