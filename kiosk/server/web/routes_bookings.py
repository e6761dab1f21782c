"""Bookings: search by reference (personal data masked), upload an export with a preview of its bad rows
before anything is applied (the server's own import, kiosk/server/offices.py), cancel a booking."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from kiosk.protocol.schema import WireBooking
from kiosk.server import admin_audit, offices
from kiosk.server.db import reading, writing
from kiosk.server.web import csrf, forms
from kiosk.server.web.auth import WebError, current_session, office_row, state_of
from kiosk.server.web.queries import bookings as queries
from kiosk.server.web.render import render
from kiosk.server.web.sessions import Session

router = APIRouter()
MAX_SHOWN_ERRORS = 200


@router.get("/o/{office}/bookings")
def bookings_page(
    request: Request,
    office: str,
    session: Annotated[Session, Depends(current_session)],
    ref: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    row = office_row(request, session, office)
    with reading(state_of(request).context.engine) as connection:
        found = queries.search(connection, row.code, ref)
    return render(request, "bookings.html", {"office": row, "page": "bookings", "ref": ref, "found": found})


def _split(
    connection: Connection, text: str, fmt: str, office_code: str
) -> tuple[list[WireBooking], list[offices.LineError], int]:
    """The export's good rows for this office, and its bad rows: another office's rows among them, and a
    row whose booking_ref or code the server holds for another office (an office never takes over, or
    moves, another office's booking: only the national `kiosk server import` does)."""
    good, errors = offices.parse_export(text, fmt)
    lines = len(good) + len(errors)
    mine = [b for b in good if b.office_code == office_code]
    foreign = len(good) - len(mine)
    if foreign:
        errors = [
            *errors,
            offices.LineError(0, f"{foreign} baris untuk kantor lain diabaikan / rows for another office left out"),
        ]
    taken = set(offices.foreign_bookings(connection, mine, office_code))
    if taken:
        errors = [
            *errors,
            *(
                offices.LineError(0, f"{b.booking_ref}: {offices.FOREIGN_BOOKING}")
                for b in mine
                if b.booking_ref in taken
            ),
        ]
        mine = [b for b in mine if b.booking_ref not in taken]
    return mine, errors, lines


def _format_of(filename: str, given: str) -> str:
    if given in ("csv", "jsonl"):
        return given
    return "jsonl" if filename.lower().endswith((".jsonl", ".ndjson", ".json")) else "csv"


@router.post("/o/{office}/bookings/upload")
async def upload(request: Request, office: str, session: Annotated[Session, Depends(current_session)]) -> Response:
    row, form = await csrf.admin_form(request, session, office)
    export = form.get("export")
    if not isinstance(export, UploadFile):
        await form.close()
        raise WebError(400, "Pilih berkas ekspor / Choose an export file")
    try:
        raw = await export.read()
    finally:
        await form.close()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise WebError(400, "Berkas bukan UTF-8 / The file is not UTF-8") from None
    filename = export.filename or "export"
    fmt = _format_of(filename, forms.text(form.get("format"), 8))
    return await run_in_threadpool(_preview, request, session, row, filename, fmt, text)


def _preview(request: Request, session: Session, row: Any, filename: str, fmt: str, text: str) -> Response:
    state = state_of(request)
    upload_id = secrets.token_urlsafe(24)
    with writing(state.context.engine) as connection:
        good, errors, lines = _split(connection, text, fmt, row.code)
        queries.keep_pending(connection, upload_id, session.user.id, row.code, filename, fmt, text, state.now())
        admin_audit.record(
            connection, state.now(), session.user.username, "bookings.upload", row.code, filename[:128],
            f"{lines} rows: {len(good)} good, {len(errors)} bad (preview, nothing applied)",
        )  # fmt: skip
    return render(
        request,
        "bookings_preview.html",
        {
            "office": row,
            "page": "bookings",
            "upload_id": upload_id,
            "filename": filename,
            "lines": lines,
            "good": len(good),
            "errors": errors[:MAX_SHOWN_ERRORS],
            "more_errors": max(0, len(errors) - MAX_SHOWN_ERRORS),
        },
    )


@router.post("/o/{office}/bookings/apply")
async def apply(request: Request, office: str, session: Annotated[Session, Depends(current_session)]) -> Response:
    row, form = await csrf.admin_form(request, session, office)
    return await run_in_threadpool(_apply, request, session, row, form)


def _apply(request: Request, session: Session, row: Any, form: FormData) -> Response:
    upload_id = forms.text(form.get("upload_id"), 64)
    state = state_of(request)
    with writing(state.context.engine) as connection:
        kept = queries.pending(connection, upload_id, session.user.id, row.code)
        if kept is None:
            raise WebError(404, "Unggahan tidak ditemukan atau sudah diterapkan / Upload not found or applied already")
        good, errors, _ = _split(connection, kept.body, kept.fmt, row.code)
        try:  # only_office: checked again under the writer lock, as a booking may have moved since
            report = offices.apply_import(connection, good, state.now(), only_office=row.code)
        except offices.OfficeError as exc:
            raise WebError(400, f"Tidak diterapkan / Not applied: {exc}") from exc
        report.errors = [*errors, *report.errors]
        queries.drop_pending(connection, upload_id)
        admin_audit.record(
            connection, state.now(), session.user.username, "bookings.import", row.code, kept.filename[:128],
            report.summary().splitlines()[0],
        )  # fmt: skip
    return render(request, "bookings_applied.html", {"office": row, "page": "bookings", "report": report})


@router.post("/o/{office}/bookings/discard")
async def discard(request: Request, office: str, session: Annotated[Session, Depends(current_session)]) -> Response:
    row, form = await csrf.admin_form(request, session, office)
    return await run_in_threadpool(_discard, request, session, row, form)


def _discard(request: Request, session: Session, row: Any, form: FormData) -> Response:
    upload_id = forms.text(form.get("upload_id"), 64)
    state = state_of(request)
    with writing(state.context.engine) as connection:
        if queries.pending(connection, upload_id, session.user.id, row.code) is not None:
            queries.drop_pending(connection, upload_id)
            admin_audit.record(
                connection, state.now(), session.user.username, "bookings.discard", row.code, upload_id[:12]
            )
    return render(
        request, "bookings.html", {"office": row, "page": "bookings", "ref": "", "found": [], "notice": "discarded"}
    )


@router.post("/o/{office}/bookings/cancel")
async def cancel(request: Request, office: str, session: Annotated[Session, Depends(current_session)]) -> Response:
    row, form = await csrf.admin_form(request, session, office)
    return await run_in_threadpool(_cancel, request, session, row, form)


def _cancel(request: Request, session: Session, row: Any, form: FormData) -> Response:
    ref = forms.text(form.get("booking_ref"), 64)
    status = forms.text(form.get("status"), 16) or "cancelled"
    if status not in ("cancelled", "rescheduled"):
        raise WebError(400, "status: cancelled / rescheduled")
    state = state_of(request)
    with writing(state.context.engine) as connection:
        booking = queries.booking_by_ref(connection, row.code, ref)
        if booking is None:
            raise WebError(404, "Jadwal tidak ditemukan di kantor ini / No such booking in this office")
        offices.cancel(connection, booking.code, status, state.now())
        admin_audit.record(connection, state.now(), session.user.username, f"bookings.{status}", row.code, ref)
        found = queries.search(connection, row.code, ref)
    return render(
        request, "bookings.html", {"office": row, "page": "bookings", "ref": ref, "found": found, "notice": status}
    )
