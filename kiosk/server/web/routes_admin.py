"""Administration of one office (office_admin only): enrol a kiosk (the one-time token as text and as a
QR code made here, never stored), revoke a kiosk, set the office's rules and the guards' override norm.
Each action goes into the server's audit log. The signing keys are shown, not rotated: one key signs
every office's pages and codes, so its rotation is the national operator's (`kiosk server keys
rotate` on the server), not one of 125 office admins'."""

from __future__ import annotations

import json
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from kiosk.server import admin_audit, keys, kiosks, offices
from kiosk.server.db import reading, writing
from kiosk.server.web import csrf, forms, office_settings
from kiosk.server.web.auth import WebError, current_session, state_of
from kiosk.server.web.queries import common
from kiosk.server.web.queries import kiosks as kiosk_queries
from kiosk.server.web.render import render
from kiosk.server.web.sessions import Session

router = APIRouter()
#: Rules set on this page: (name, low, high) for whole numbers; flags below.
NUMBERS = (("early_minutes", 0, 1440), ("late_minutes", 0, 1440), ("max_data_age_minutes", 0, 1440))
FLAGS = ("allow_later_same_day", "deny_needs_ack")


def _page(request: Request, row: Any, **extra: Any) -> Response:
    state = state_of(request)
    with reading(state.context.engine) as connection:
        current = offices.office(connection, row.code)
        listed = [k for k in kiosk_queries.kiosk_lines(connection, current, state.now()) if k.state != kiosks.REVOKED]
        norm = office_settings.override_norm(connection, row.code)
        signing = keys.all_keys(connection)
    rules = json.loads(current.rules)
    return render(
        request,
        "admin.html",
        {
            "office": current,
            "page": "admin",
            "kiosks": listed,
            "rules": rules,
            "numbers": NUMBERS,
            "flags": FLAGS,
            "norm": norm,
            "keys": signing,
            "zone": common.zone_of(current),
            **extra,
        },
    )


@router.get("/o/{office}/admin")
def admin_page(request: Request, office: str, session: Annotated[Session, Depends(current_session)]) -> Response:
    return _page(request, csrf.admin_office(request, session, office))


@router.post("/o/{office}/admin/enrol")
async def enrol(request: Request, office: str, session: Annotated[Session, Depends(current_session)]) -> Response:
    row, form = await csrf.admin_form(request, session, office)
    return await run_in_threadpool(_enrol, request, session, row, form)


def _enrol(request: Request, session: Session, row: Any, form: FormData) -> Response:
    gate = forms.text(form.get("gate"), 32)
    label = forms.text(form.get("label"), 120)
    state = state_of(request)
    try:
        with writing(state.context.engine) as connection:
            enrolment = kiosks.create(connection, row.code, gate, state.now(), label)
            detail = (
                f"gate {gate}{', ' + label if label else ''}; valid until {enrolment.expires_at:%Y-%m-%d %H:%M} UTC"
            )
            admin_audit.record(
                connection, state.now(), session.user.username, "kiosk.enrol", row.code, enrolment.kiosk_id, detail
            )
    except kiosks.KioskError as exc:
        raise WebError(400, str(exc)) from exc
    qr = segno.make(enrolment.token, error="m").svg_inline(scale=8, border=4, omitsize=True)
    server = str(request.base_url).rstrip("/")
    return render(
        request,
        "admin_enrolled.html",
        {
            "office": row,
            "page": "admin",
            "enrolment": enrolment,
            "gate": gate,
            "qr": Markup(qr),  # segno's own SVG: no text of ours inside it but the QR's modules
            "command": f"kiosk sync enrol --server {server} --token {enrolment.token} --gate {gate}",
        },
    )


@router.post("/o/{office}/admin/revoke")
async def revoke(request: Request, office: str, session: Annotated[Session, Depends(current_session)]) -> Response:
    row, form = await csrf.admin_form(request, session, office)
    return await run_in_threadpool(_revoke, request, session, row, form)


def _revoke(request: Request, session: Session, row: Any, form: FormData) -> Response:
    kiosk_id = forms.text(form.get("kiosk_id"), 64)
    state = state_of(request)
    with writing(state.context.engine) as connection:
        try:
            target = kiosks.kiosk(connection, kiosk_id)
        except kiosks.KioskError:
            target = None
        if target is None or target.office_code != row.code:
            raise WebError(404, "Kios tidak ditemukan di kantor ini / No such kiosk in this office")
        try:
            kiosks.revoke(connection, kiosk_id, state.now())
        except kiosks.KioskError as exc:
            raise WebError(400, str(exc)) from exc
        admin_audit.record(
            connection, state.now(), session.user.username, "kiosk.revoke", row.code, kiosk_id, f"gate {target.gate}"
        )
    return _page(request, row, notice=f"revoked {kiosk_id}")


@router.post("/o/{office}/admin/rules")
async def set_rules(request: Request, office: str, session: Annotated[Session, Depends(current_session)]) -> Response:
    row, form = await csrf.admin_form(request, session, office)
    return await run_in_threadpool(_set_rules, request, session, row, form)


def _set_rules(request: Request, session: Session, row: Any, form: FormData) -> Response:
    changes: dict[str, Any] = {}
    for name, low, high in NUMBERS:
        if forms.text(form.get(name)):
            changes[name] = forms.whole(form.get(name), name, low, high)
    if forms.text(form.get("debounce_seconds")):
        try:
            changes["debounce_seconds"] = float(forms.text(form.get("debounce_seconds"), 10))
        except ValueError:
            raise WebError(400, "debounce_seconds") from None
    if form.get("flags_shown"):
        for name in FLAGS:
            changes[name] = form.get(name) == "on"
    norm = (
        forms.whole(form.get("override_norm"), "override_norm", 0, office_settings.MAX_OVERRIDE_NORM)
        if forms.text(form.get("override_norm"))
        else None
    )
    state = state_of(request)
    try:
        with writing(state.context.engine) as connection:
            before = json.loads(offices.office(connection, row.code).rules)
            if changes:
                offices.set_office(connection, row.code, changes, None)
            if norm is not None:
                office_settings.set_override_norm(connection, row.code, norm)
            changed = {k: v for k, v in changes.items() if before.get(k) != v}
            detail = ", ".join(f"{k}: {before.get(k)} -> {v}" for k, v in changed.items())
            if norm is not None:
                detail = (detail + ", " if detail else "") + f"override_norm_per_day: {norm}"
            admin_audit.record(
                connection,
                state.now(),
                session.user.username,
                "office.rules",
                row.code,
                row.code,
                detail or "no change",
            )
    except offices.OfficeError as exc:
        raise WebError(400, str(exc)) from exc
    return _page(request, row, notice="rules saved")
