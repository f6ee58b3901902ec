"""The report's files: the PDF renders to clean A4 pages, and `madoguchi report` writes the PDF and CSVs."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path

import numpy
import pytest
from click.testing import CliRunner
from PIL import Image, ImageStat

from bot.cli import main
from bot.report.store import render_report
from tests.handoff.factories import TOKYO

PDFTOPPM = shutil.which("pdftoppm")
needs_poppler = pytest.mark.skipif(PDFTOPPM is None, reason="pdftoppm missing (apt-get install poppler-utils)")


def pages_as_images(pdf: Path, out: Path) -> list[Image.Image]:
    """Every page of the PDF as a 50 dpi PNG (poppler's pdftoppm)."""
    subprocess.run([PDFTOPPM, "-r", "50", "-png", str(pdf), str(out / "page")], check=True)  # noqa: S603
    pages = []
    for path in sorted(out.glob("page*.png")):
        with Image.open(path) as image:
            pages.append(image.convert("RGB"))
    return pages


def ink(image: Image.Image) -> float:
    """Share of the page that is not white."""
    histogram = image.convert("L").point(lambda v: 255 if v < 200 else 0).histogram()
    return histogram[255] / (image.width * image.height)


@needs_poppler
def test_the_pdf_renders_as_a4_pages_with_text_and_charts(seeded, tmp_path):
    with seeded() as session:
        rendered = render_report(session, date(2026, 11, 1), TOKYO)
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(rendered.pdf)
    assert rendered.pdf.startswith(b"%PDF")
    pages = pages_as_images(pdf, tmp_path)
    assert 2 <= len(pages) <= 8
    for page in pages:
        assert abs(page.height / page.width - 297 / 210) < 0.01  # A4 portrait
        assert ink(page) > 0.005, "a blank page"
        assert ImageStat.Stat(page.convert("L")).extrema[0][0] < 100  # something printed dark enough to read
    pixels = numpy.asarray(pages[0])  # the charts: the bars' green on the first page
    assert ((pixels[..., 0] < 60) & (pixels[..., 1] > 150) & (pixels[..., 2] < 120)).sum() > 50


@needs_poppler
def test_an_empty_month_still_makes_a_clean_pdf(factory, tmp_path):
    with factory() as session:
        rendered = render_report(session, date(2025, 1, 1), TOKYO)
    pdf = tmp_path / "empty.pdf"
    pdf.write_bytes(rendered.pdf)
    pages = pages_as_images(pdf, tmp_path)
    assert pages and all(ink(p) > 0.002 for p in pages)


def test_the_report_command_writes_the_pdf_and_one_csv_per_table(seeded, db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", db_url)
    result = CliRunner().invoke(main, ["report", "--month", "2026-11", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert "madoguchi-report-2026-11.pdf" in files
    assert "madoguchi-report-2026-11-intents.csv" in files and len(files) == 9
    intents = (tmp_path / "out" / "madoguchi-report-2026-11-intents.csv").read_bytes()
    assert intents.startswith("\ufeff".encode()) and "ボランティア,件数,件,16,6".encode() in intents


def test_the_report_command_refuses_a_month_that_is_not_one(db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", db_url)
    result = CliRunner().invoke(main, ["report", "--month", "2026-13", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "YYYY-MM" in result.output


@needs_poppler
def test_the_demos_data_makes_a_clean_pdf_that_hides_its_single_resident(factory, tmp_path):
    from admin.demo import seed_demo_activity
    from bot.handoff.demo import seed_demo

    with factory() as session:
        seed_demo(session, datetime(2026, 11, 20, 10, 0, tzinfo=TOKYO))
        seed_demo_activity(session, date(2026, 11, 30))
        session.commit()
        rendered = render_report(session, date(2026, 11, 1), TOKYO)
    pdf = tmp_path / "demo.pdf"
    pdf.write_bytes(rendered.pdf)
    pages = pages_as_images(pdf, tmp_path)
    assert pages and all(ink(p) > 0.005 for p in pages)
    intents = rendered.csvs["madoguchi-report-2026-11-intents.csv"]
    assert "5人未満のため非表示" in intents  # one demo resident: every non-zero intent is hidden
    everything = "".join(rendered.csvs.values())
    assert "デモ利用者" not in everything and "デモ 花子" not in everything
