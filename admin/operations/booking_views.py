"""Staff pages for consultation booking: slot calendar, booking list, slot changes, attendance, CSV, types.

Registered by the admin package under its login guard; these views add no authentication of their own.
"""

from __future__ import annotations

import io
import secrets
from datetime import date, datetime, time, timedelta
from pathlib import Path

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from admin import inputs
from admin.operations.week import VERDICT_HELP, VERDICT_JA, Day, build_week, closes_at, monday_of
from admin.people.auth import safe_next
from bot.booking import service
from bot.booking.errors import BookingError
from bot.booking.models import ConsultationType, Slot
from bot.booking.rules import TOKYO
from bot.booking.settings import booking_settings
from bot.booking.slots import add_slot, bookability, generate_slots, set_slot_status, slots_between, with_occupancy
from bot.booking.staff import STATUS_JA, BookingFilter, cancel_by_staff, csv_rows, find_bookings, local_midnight
from bot.platform.db import unit_of_work
from bot.platform.services import services
from knowledge.spreadsheet import csv_writer

bp = Blueprint(
    "booking_admin",
    __name__,
    url_prefix="/booking",
    template_folder=str(Path(__file__).resolve().parents[1] / "templates"),
)
PLACES = {"centre": "センターで対面", "online": "オンライン", "phone": "電話"}
MAX_CAPACITY = 1000  # seats in one slot
TYPE_INTS = ("duration_minutes", "capacity", "buffer_minutes", "cutoff_business_days", "cancel_business_days")
TYPE_TEXTS = ("name", "label", "description", "place_detail", "ask_text", "bring_text")


@bp.context_processor
def _template_values() -> dict:
    return {"csrf_token": generate_csrf, "STATUS_JA": STATUS_JA, "PLACES": PLACES, "fmt": _fmt}


def _fmt(moment: datetime | None, pattern: str = "%m/%d %H:%M") -> str:
    return moment.astimezone(TOKYO).strftime(pattern) if moment else ""


def _date_arg(name: str, default: date | None = None) -> date | None:
    return inputs.day(request.values.get(name), default)  # out of range: a 400, not an overflow


def _types(session) -> list[ConsultationType]:
    return list(session.scalars(select(ConsultationType).order_by(ConsultationType.sort_order)))


def _settings(session):
    return booking_settings(session, tuple(services().context.profile.closures))


@bp.get("/")
def calendar():
    """One week of slots (days × hours): seats taken and what residents see, from the bot's own rule."""
    svc = services()
    now, today = svc.context.now(), svc.context.today()
    monday = monday_of(_date_arg("start", today))
    code = request.args.get("type") or None
    with svc.session_factory() as session:
        types = _types(session)
        chosen = next((t for t in types if t.code == code), None)
        slots = slots_between(
            session, local_midnight(monday), local_midnight(monday + timedelta(days=7)), chosen.id if chosen else None
        )
        grid = build_week(with_occupancy(session, slots, now), monday, now, _settings(session), today)
        return render_template(
            "booking/calendar.html",
            types=types,
            chosen=chosen,
            week=grid,
            today=today,
            prev=monday - timedelta(days=7),
            next=monday + timedelta(days=7),
            VERDICT_JA=VERDICT_JA,
            VERDICT_HELP=VERDICT_HELP,
        )


@bp.get("/slots/<int:slot_id>")
def slot(slot_id: int):
    """One slot: its seats, whether and until when residents can book it, its bookings and the staff actions."""
    svc = services()
    now = svc.context.now()
    with svc.session_factory() as session:
        row = session.get(Slot, slot_id)
        if row is None or row.status == "removed":
            abort(404)
        settings = _settings(session)
        availability = with_occupancy(session, [row], now)[0]
        return render_template(
            "booking/slot.html",
            a=availability,
            verdict=bookability(availability, now, settings),
            closes=closes_at(availability, settings),
            rows=find_bookings(session, BookingFilter(slot_id=slot_id)),
            day_heading=Day(row.starts_at.astimezone(TOKYO).date(), None, False).heading,
            VERDICT_JA=VERDICT_JA,
            VERDICT_HELP=VERDICT_HELP,
        )


@bp.post("/slots")
def create_slot():
    """Add a one-off slot."""
    day = _date_arg("date")
    try:
        starts = datetime.combine(day, time.fromisoformat(request.form.get("time", "")), tzinfo=TOKYO)
    except (TypeError, ValueError):
        flash("日付と時刻を正しく入力してください。", "error")
        return redirect(url_for(".calendar"))
    capacity = request.form.get("capacity", "").strip()
    if capacity and inputs.whole(capacity, 1, MAX_CAPACITY) is None:
        flash(f"定員は1〜{MAX_CAPACITY}の数で入力してください。", "error")
        return redirect(url_for(".calendar", start=day.isoformat()))
    capacity = inputs.whole(capacity, 1, MAX_CAPACITY)
    with unit_of_work(services().session_factory) as session:
        ctype = session.scalar(select(ConsultationType).where(ConsultationType.code == request.form.get("type")))
        if ctype is None:
            flash("相談の種類を選んでください。", "error")
            return redirect(url_for(".calendar"))
        try:
            add_slot(session, ctype, starts, capacity if capacity and capacity > 0 else None, request.form.get("note"))
            flash(f"{_fmt(starts, '%Y-%m-%d %H:%M')} の枠を追加しました。", "info")
        except BookingError as exc:
            flash(exc.text, "error")
    return redirect(url_for(".calendar", start=day.isoformat()))


@bp.post("/slots/<int:slot_id>/status")
def change_slot(slot_id: int):
    """Close, reopen or remove a slot."""
    status = request.form.get("status", "")
    svc = services()
    try:
        with unit_of_work(svc.session_factory) as session:
            slot = set_slot_status(session, slot_id, status, svc.context.now())
            start = slot.starts_at.astimezone(TOKYO).date().isoformat()
        flash(
            {"open": "受付を再開しました。", "closed": "受付を締め切りました。", "removed": "枠を削除しました。"}[
                status
            ]
        )
    except BookingError as exc:
        flash(exc.text, "error")
        start = None
    if status != "removed" and request.form.get("back") == "slot" and start:
        return redirect(url_for(".slot", slot_id=slot_id))
    return redirect(url_for(".calendar", start=start))


@bp.post("/generate")
def generate():
    """Create the slots the rules produce up to the booking horizon."""
    svc = services()
    with unit_of_work(svc.session_factory) as session:
        created = generate_slots(session, svc.context.today(), _settings(session))
    flash(f"ルールから {created} 件の枠を作成しました。")
    return redirect(url_for(".calendar"))


def _filter() -> BookingFilter:
    return BookingFilter(
        type_code=request.args.get("type") or None,
        status=request.args.get("status") or None,
        start=_date_arg("start"),
        end=_date_arg("end"),
        slot_id=inputs.identifier(request.args.get("slot")),
        q=(request.args.get("q") or "").strip() or None,
    )


@bp.get("/bookings")
def bookings():
    """The booking list with filters."""
    f = _filter()
    with services().session_factory() as session:
        rows = find_bookings(session, f)
        return render_template("booking/bookings.html", rows=rows, f=f, types=_types(session), args=request.args)


@bp.get("/bookings.csv")
def export_csv():
    """The filtered booking list as CSV (UTF-8 with BOM, for Excel)."""
    out = io.StringIO()
    out.write("\ufeff")
    with services().session_factory() as session:
        csv_writer(out).writerows(csv_rows(find_bookings(session, _filter(), limit=100_000)))
    name = f"bookings-{services().context.today():%Y%m%d}.csv"
    return Response(
        out.getvalue(), mimetype="text/csv", headers={"Content-Disposition": f"attachment; filename={name}"}
    )


@bp.post("/bookings/<int:booking_id>/status")
def mark(booking_id: int):
    """Mark attended / no-show (or undo), or cancel for the centre (the resident is told)."""
    status = request.form.get("status", "")
    svc = services()
    outbox_ids: list[int] = []
    try:
        with unit_of_work(svc.session_factory) as session:
            if status == "cancelled":
                outbox_ids = cancel_by_staff(
                    session, booking_id, svc.context.now(), _settings(session), svc.context.profile.phone
                )
            else:
                service.set_attendance(session, booking_id, status)
        flash(f"予約番号 {booking_id} を「{STATUS_JA.get(status, status)}」にしました。")
    except BookingError as exc:
        flash(exc.text, "error")
    svc.sender.submit(outbox_ids)
    back = request.form.get("back")
    return redirect(safe_next(back) if back else url_for(".bookings"))  # only back into the admin


@bp.get("/types")
def types():
    """Consultation types, their rules and their iCal feed URLs."""
    with services().session_factory() as session:
        rows = _types(session)
        feeds = {
            t.code: url_for("booking_ical.feed", type_code=t.code, token=t.ical_token, _external=True) for t in rows
        }
        return render_template("booking/types.html", types=rows, feeds=feeds)


@bp.post("/types/<code>")
def edit_type(code: str):
    """Save a type's settings (durations, place, capacity, windows, questions)."""
    with unit_of_work(services().session_factory) as session:
        ctype = session.scalar(select(ConsultationType).where(ConsultationType.code == code))
        if ctype is None:
            flash("相談の種類が見つかりません。", "error")
            return redirect(url_for(".types"))
        error = _apply_type_form(ctype)
        if error:
            session.rollback()
            flash(error, "error")
        else:
            flash(f"「{ctype.name}」を保存しました。")
    return redirect(url_for(".types"))


def _apply_type_form(ctype: ConsultationType) -> str | None:
    form = request.form
    try:
        values = {name: inputs.whole(form.get(name)) for name in TYPE_INTS}
        window = form.get("window_days", "").strip()
        values["window_days"] = inputs.whole(window) if window else None
        time.fromisoformat(form.get("cutoff_time", ""))
        if any(values[name] is None for name in TYPE_INTS) or (window and values["window_days"] is None):
            raise ValueError("not a whole number in range")
    except ValueError:
        return f"数値（0〜{inputs.MAX_SMALL}）・時刻を正しく入力してください。"
    if form.get("place") not in PLACES or values["duration_minutes"] <= 0 or values["capacity"] < 1:
        return "場所・所要時間・定員を確認してください。"
    if len(form.get("label", "")) > 20 or not form.get("name") or not form.get("label"):
        return "名前は必須、ボタン表示名は20文字以内です。"
    for name, value in values.items():
        setattr(ctype, name, value)
    for name in TYPE_TEXTS:
        setattr(ctype, name, form.get(name, "").strip())
    ctype.place, ctype.cutoff_time, ctype.active = form["place"], form["cutoff_time"], bool(form.get("active"))
    return None


@bp.post("/types/<code>/token")
def new_token(code: str):
    """Issue a new secret for the type's iCal feed (the old URL stops working)."""
    with unit_of_work(services().session_factory) as session:
        ctype = session.scalar(select(ConsultationType).where(ConsultationType.code == code))
        if ctype is not None:
            ctype.ical_token = secrets.token_urlsafe(24)
            flash("カレンダーURLを再発行しました。以前のURLは使えなくなりました。")
    return redirect(url_for(".types"))
