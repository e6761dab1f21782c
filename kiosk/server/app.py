"""The HTTP API (FastAPI). Stateless: each request reads what it needs from the database.

Every response carries the server's time (header X-Server-Time, and `server_time` in every JSON
body). Kiosks authenticate with `Authorization: Bearer <device token>`; a revoked kiosk gets 403 with
a signed revocation notice (so that only the real server can make a kiosk wipe its data).
"""

import logging
import os
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Engine

import kiosk
from kiosk.protocol.schema import (
    MAX_PAGE_LIMIT,
    CheckRequest,
    CheckResponse,
    Cursor,
    EnrolRequest,
    EnrolResponse,
    ErrorBody,
    EventBatch,
    EventBatchResult,
    Hash64,
    PageBody,
    RevokedBody,
    TimeResponse,
)
from kiosk.protocol.wire import (
    API_PREFIX,
    KEY_ID_HEADER,
    KNOWN_KEYS_HEADER,
    OFFICES_QUERY,
    SERVER_TIME_HEADER,
    SIGNATURE_HEADER,
    sign_notice,
    wire_decision,
)
from kiosk.server import anchor, events, feed, health, keys, kiosks, offices, summaries, web
from kiosk.server.context import ServerContext
from kiosk.server.db import DEFAULT_URL, init_schema, make_engine, reading, utc_text, writing
from kiosk.server.limits import BodyLimitMiddleware, BodyLimits

log = logging.getLogger(__name__)

ENV_DB = "KIOSK_SERVER_DB"
#: Body limits for worker processes (`kiosk server run --workers N`), as BodyLimits.to_env() writes them.
ENV_LIMITS = "KIOSK_SERVER_BODY_LIMITS"


class ApiError(Exception):
    def __init__(self, status: int, error: str, detail: str = "") -> None:
        super().__init__(detail or error)
        self.status, self.error, self.detail = status, error, detail


class RevokedError(Exception):
    def __init__(self, kiosk_id: str, revoked_at: str, known: list[str]) -> None:
        super().__init__(kiosk_id)
        self.kiosk_id, self.revoked_at, self.known = kiosk_id, revoked_at, known


_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "missing, unknown or wrong token"},
    403: {"model": RevokedBody, "description": "this kiosk was revoked (signed notice: wipe personal data)"},
    413: {
        "model": ErrorBody,
        "description": "request_too_large: the body is larger than this route takes; the connection is closed",
    },
    422: {"model": ErrorBody, "description": "the request does not match the schema"},
}


def create_app(
    db_url: str | None = None,
    *,
    page_limit: int = feed.DEFAULT_LIMIT,
    engine: Engine | None = None,
    body_limits: BodyLimits | None = None,
) -> FastAPI:
    """The ASGI app. Every request body is bounded per route before it is parsed (`body_limits`,
    kiosk/server/limits.py). Its ServerContext is `app.state.context`: the fault-injection layer of
    the drills (kiosk/server/faults.py, `with_faults`) wraps this app from outside, never from here."""
    engine = engine or make_engine(db_url or os.environ.get(ENV_DB, DEFAULT_URL))
    init_schema(engine)
    summaries.ensure(engine)  # the dashboard's indexes and hourly counts on an existing database
    context = ServerContext(engine, page_limit)
    with writing(engine) as connection:
        keys.ensure_key(connection, context.now())
    app = _build(context)
    # outermost of the app's own layers: no other layer, nor FastAPI, reads a body before its limit holds
    limits = web.body_limits(body_limits or BodyLimits())  # the web forms' limits beside the API's
    app.add_middleware(BodyLimitMiddleware, limits=limits, now=context.now)
    return app


def app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory kiosk.server.app:app_from_env` (several worker processes)."""
    limits = os.environ.get(ENV_LIMITS)
    return create_app(os.environ.get(ENV_DB, DEFAULT_URL), body_limits=BodyLimits.from_env(limits) if limits else None)


def _build(context: ServerContext) -> FastAPI:
    app = FastAPI(
        title="Kiosk sync server",
        version=kiosk.__version__,
        description=(
            "Booking feed, event collection and online check for the booking QR gate kiosks. "
            "See docs/sync-protocol.md for the protocol in prose."
        ),
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.context = context
    _install_handlers(app, context)
    _install_routes(app, context)
    web.install(app, context)  # the office dashboard under /web (kiosk/server/web, docs/dashboard.md)
    return app


def _install_handlers(app: FastAPI, context: ServerContext) -> None:
    @app.middleware("http")
    async def server_time_header(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        response.headers.setdefault(SERVER_TIME_HEADER, utc_text(context.now()))
        return response

    @app.exception_handler(ApiError)
    async def api_error(_request: Request, exc: ApiError) -> JSONResponse:
        body = ErrorBody(error=exc.error, detail=exc.detail, server_time=context.now())
        return JSONResponse(body.model_dump(mode="json"), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error.get('loc', ()))}: {error.get('msg', '')}" for error in exc.errors()[:5]
        )
        body = ErrorBody(error="invalid_request", detail=problems[:1000], server_time=context.now())
        return JSONResponse(body.model_dump(mode="json"), status_code=422)

    @app.exception_handler(RevokedError)
    async def revoked(_request: Request, exc: RevokedError) -> JSONResponse:
        with reading(context.engine) as connection:
            key = keys.signer_for(connection, exc.known)
        notice, signature = sign_notice(key, {"kiosk_id": exc.kiosk_id, "revoked_at": exc.revoked_at})
        body = RevokedBody(
            detail="this kiosk was revoked; it must wipe its personal data",
            notice=notice,
            key_id=key.key_id,
            signature=signature,
            server_time=context.now(),
        )
        return JSONResponse(body.model_dump(mode="json"), status_code=403)


def _take_upload(context: ServerContext, batch: EventBatch, kiosk_row: Any, known: list[str]) -> EventBatchResult:
    """One transaction: the events, the audit entries, the reported head, the contact and health."""
    now = context.now()
    with writing(context.engine) as connection:
        results = events.ingest(connection, kiosk_row, batch, now) if batch.events else []
        signer = keys.signer_for(connection, known)
        outcome = anchor.take(connection, kiosk_row.kiosk_id, batch.audit_head, batch.audit_entries, now, signer)
        alert = events.report_head(connection, kiosk_row, batch.audit_head, batch.outbox_pending, batch.cursor, now)
        health.note_contact(connection, kiosk_row.kiosk_id, health.UPLOAD, now, batch.health)
    found = "; ".join([*outcome.incidents, *([alert] if alert else [])])
    if found:
        log.warning("kiosk %s: %s", kiosk_row.kiosk_id, found)
    return EventBatchResult(
        results=results,
        audit="alert" if found else "ok",
        audit_detail=found[:2000],
        server_time=now,
        receipt=outcome.receipt,
        checkpoints=outcome.checkpoints,
    )


def _install_routes(app: FastAPI, context: ServerContext) -> None:
    def known_keys(x_kiosk_keys: Annotated[str, Header(alias=KNOWN_KEYS_HEADER, max_length=400)] = "") -> list[str]:
        return [part.strip() for part in x_kiosk_keys.split(",") if part.strip()][:16]

    def current_kiosk(
        known: Annotated[list[str], Depends(known_keys)],
        authorization: Annotated[str, Header(max_length=200)] = "",
    ) -> Any:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise ApiError(401, "unauthorised", "send Authorization: Bearer <device token>")
        with reading(context.engine) as connection:
            row = kiosks.authenticate(connection, token.strip())
        if row is None:
            raise ApiError(401, "unauthorised", "unknown device token")
        if row.state == kiosks.REVOKED:
            raise RevokedError(row.kiosk_id, row.revoked_at or "", known)
        return row

    @app.get(f"{API_PREFIX}/time", response_model=TimeResponse, tags=["kiosk"])
    def server_time() -> TimeResponse:
        """The server's clock (no authentication): for the kiosk's clock check and a cheap reachability test."""
        return TimeResponse(server_time=context.now())

    @app.post(
        f"{API_PREFIX}/enrol",
        response_model=EnrolResponse,
        responses=_ERRORS,
        tags=["kiosk"],
    )
    def enrol(request: EnrolRequest) -> EnrolResponse:
        """Exchange a one-time enrolment token for this kiosk's device token, its office and the server's
        public keys (which the kiosk pins)."""
        now = context.now()
        try:
            with writing(context.engine) as connection:
                row, device_token = kiosks.redeem(connection, request.token, request.gate, request.label, now)
                health.note_contact(connection, row.kiosk_id, health.ENROL, now)
                office = offices.info(offices.office(connection, row.office_code))
                listed = keys.listed(connection)
        except kiosks.KioskError as exc:
            raise ApiError(401, "bad_enrolment_token", str(exc)) from exc
        return EnrolResponse(
            kiosk_id=row.kiosk_id, office=office, device_token=device_token, keys=listed, server_time=now
        )

    @app.get(
        f"{API_PREFIX}/bookings",
        response_model=PageBody,
        responses={
            **_ERRORS,
            200: {
                "description": "a page of changes; its exact bytes are signed (X-Kiosk-Key-Id, X-Kiosk-Signature)",
                "headers": {
                    KEY_ID_HEADER: {"schema": {"type": "string"}, "description": "id of the signing key"},
                    SIGNATURE_HEADER: {
                        "schema": {"type": "string"},
                        "description": "Ed25519 signature (base64url) over 'kiosk.page.v1\\n' + the body bytes",
                    },
                },
            },
            410: {"model": ErrorBody, "description": "the cursor is not from this feed: start again without one"},
        },
        tags=["kiosk"],
    )
    def bookings(
        kiosk_row: Annotated[Any, Depends(current_kiosk)],
        known: Annotated[list[str], Depends(known_keys)],
        since: Annotated[Cursor | None, Query(description="the cursor of the last applied page")] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE_LIMIT)] = feed.DEFAULT_LIMIT,
        held_offices: Annotated[
            Hash64 | None,
            Query(
                alias=OFFICES_QUERY,
                description="the digest of the office directory the kiosk holds: the page carries the "
                "directory (`offices`) when the server's differs; without it, never",
            ),
        ] = None,
    ) -> Response:
        """The kiosk's office's booking changes after `since`, oldest first."""
        now = context.now()
        try:
            with reading(context.engine) as connection:
                body, signature = feed.build_page(
                    connection, kiosk_row, since, min(limit, context.page_limit), known, now, held_offices
                )
        except feed.CursorResetError as exc:
            raise ApiError(410, "cursor_reset", str(exc)) from exc
        return Response(body, media_type="application/json", headers=signature)

    @app.post(f"{API_PREFIX}/events", response_model=EventBatchResult, responses=_ERRORS, tags=["kiosk"])
    def upload(
        batch: EventBatch,
        kiosk_row: Annotated[Any, Depends(current_kiosk)],
        known: Annotated[list[str], Depends(known_keys)],
    ) -> EventBatchResult:
        """Store a batch of the kiosk's events (idempotent by event_uuid), take its audit entries into the
        kiosk's anchored chain (kiosk/server/anchor.py), note the contact and the kiosk's health
        (`kiosk server kiosks`) and answer with a signed receipt. Sent at every sync, with an empty
        batch when the outbox is empty."""
        return _take_upload(context, batch, kiosk_row, known)

    @app.post(f"{API_PREFIX}/check", response_model=CheckResponse, responses=_ERRORS, tags=["kiosk"])
    def check(request: CheckRequest, kiosk_row: Annotated[Any, Depends(current_kiosk)]) -> CheckResponse:
        """Online check: decide with the bookings and entries of every gate of the office, and record the
        decision under the kiosk's event id. Personal fields are returned only for the kiosk's own office."""
        now = context.now()
        with writing(context.engine) as connection:
            decision = events.check(connection, kiosk_row, request, now)
            if request.audit_head is not None:
                anchor.pin(connection, kiosk_row.kiosk_id, request.audit_head, now)
            health.note_contact(connection, kiosk_row.kiosk_id, health.CHECK, now)
        own = decision.booking is not None and decision.booking.office_code == kiosk_row.office_code
        return CheckResponse(
            event_uuid=request.event_uuid, decision=wire_decision(decision, with_personal=own), server_time=now
        )

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok", "server_time": utc_text(context.now())}
