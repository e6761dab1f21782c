"""Every route of the server, fed oversize, mistyped and malformed input, on SQLite and PostgreSQL: the
answer is a 4xx, never a 5xx, and nothing is stored (issue 12).

ROUTES names every route of the app; test_every_route_is_probed fails for a route it does not name, so
a new route cannot be left out. The probes come from the spec the server itself serves: for every field
of a request body (nested models and list items too), every query parameter and every header it
declares, a value one longer than allowed and a much longer one, one past its numeric bounds, the wrong
JSON type, a NUL, a lone surrogate, a field missing or unknown, one entry too many in a list or a dict,
an oversize key or value; then the whole body as broken JSON, non-UTF-8 bytes, nested too deep, of
another type. Each probe compares the whole server database before and after it. After the probes,
the route's valid request (the one each probe spoils in one place) must succeed: so a probe is refused
for what it spoils, not for a bad token or a spent enrolment token.

And the case that found it: a 160-character "KS1." text at the online check was a 500 on PostgreSQL
(its whole masked text went into a varchar(40)); it is stored as a bounded masked code now.
"""

from __future__ import annotations

import copy
import json
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import String, create_engine, delete, select
from sqlalchemy.pool import StaticPool
from starlette.routing import Route as StarletteRoute

from kiosk.domain.payload import MAX_MASKED_CHARS, mask_evidence
from kiosk.protocol.schema import (
    MAX_EXTRA_BYTES,
    AuditHead,
    CheckRequest,
    EnrolRequest,
    EnrolResponse,
    EventBatch,
    KioskHealth,
    WireEvent,
)
from kiosk.server.app import create_app
from kiosk.server.db import EVIDENCE_KEY, evidence_key, init_schema, make_engine, reading, writing
from kiosk.server.limits import BodyLimits
from kiosk.server.models import AuditReportRow, Base, EventRow, KioskRow, MetaRow
from tests.server.support import FAULT_TOKEN, Admin, ServerProcess, booking, codes, fresh_database, now
from tests.server.test_limits import raw_exchange

#: Where the server's own fault layer answers (tests and drills only): in front of the app, not a route.
FAULT_CONTROL = "/_faults"
#: 413: a body over the route's size limit (kiosk/server/limits.py), refused before it is parsed.
REFUSED = frozenset({400, 413, 422})
BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


# --- the routes -----------------------------------------------------------------------------------


@dataclass
class Ctx:
    """An office with bookings, a kiosk enrolled over HTTP, a second kiosk's unused enrolment token."""

    office: str
    kiosk_id: str
    headers: dict[str, str]
    enrol_token: str
    cursor: str


@dataclass(frozen=True)
class Route:
    #: Needs the kiosk's device token (Authorization), so it is probed with a broken one too.
    auth: bool = False
    #: The valid body each body probe spoils in one place.
    body: Callable[[Ctx], dict[str, Any]] | None = None
    #: The valid query each query probe spoils in one place.
    query: Callable[[Ctx], dict[str, str]] | None = None
    #: Its valid request writes to the database (enrolment, events, an online check).
    stores: bool = False
    #: Body fields that may hold a NUL: the scanned text is decided, never stored.
    nul_accepted: frozenset[str] = frozenset()
    #: Probes the spec cannot name (a bound kept by a validator).
    more: Callable[[Ctx], Iterator[Probe]] | None = None


@dataclass(frozen=True)
class Probe:
    label: str
    method: str
    url: str  # path, and a raw query string where the probe needs one
    json: Any = None
    content: bytes | None = None
    headers: dict[str, Any] = field(default_factory=dict)
    expect: frozenset[int] = REFUSED
    has_json: bool = False


def _event(ctx: Ctx) -> dict[str, Any]:
    """A kiosk's event with every field set, so that each one is probed in place."""
    return {
        "event_uuid": str(uuid.uuid4()),
        "occurred_at": now().isoformat(),
        "kind": "scan",
        "kiosk_id": ctx.kiosk_id,
        "gate": "G1",
        "office_code": ctx.office,
        "booking_ref": f"{ctx.office}-REF",
        "code_masked": "MP******3M",
        "payload_kind": "booking_code",
        "verdict": "DENY",
        "reason": "UNKNOWN_CODE",
        "persons": 0,
        "service_date": now().date().isoformat(),
        "guard_id": 1,
        "ref_event": str(uuid.uuid4()),
        "note": "checked the ID card",
        "facts": {"source": "camera"},
        "audit_seq": 7,
        "audit_hash": "b" * 64,
        "extra": {"firmware": "1.2"},
    }


def _batch(ctx: Ctx) -> dict[str, Any]:
    head = {"seq": 8, "hash": "b" * 64}
    entry = {
        "seq": 8,
        "at": now().isoformat(),
        "kind": "event.scan",
        "subject": str(uuid.uuid4()),
        "digest": "c" * 64,
        "prev_hash": "d" * 64,
        "hash": "b" * 64,
    }
    return {
        "events": [_event(ctx)],
        "audit_head": head,
        "outbox_pending": 1,
        "cursor": ctx.cursor,
        "audit_entries": [entry],
        "health": _health(),
    }


def _health() -> dict[str, Any]:
    """A kiosk's health with every field set."""
    return {
        "version": "0.1.0",
        "uptime_s": 3600,
        "camera_ok": False,
        "camera": "the camera is not connected",
        "decoder": "zxing-cpp",
        "decoder_process": True,
        "relay_state": "fault",
        "relay": "LCUS relay on /dev/ttyUSB0, channel 1",
        "relay_fault": "the relay board is not connected",
        "faults": ["camera", "gate"],
        "data_age_s": 75,
        "clock_offset_s": -0.4,
        "free_disk_bytes": 12 * 1024**3,
        "unanchored_audit": 3,
        "outbox_pending": 1,
        "outbox_refused": 0,
    }


def _check(ctx: Ctx) -> dict[str, Any]:
    return {
        "event_uuid": str(uuid.uuid4()),
        "payload": "NOSUCHCODE1",
        "gate": "G1",
        "occurred_at": now().isoformat(),
        "other_codes": 0,
        "audit_head": {"seq": 7, "hash": "b" * 64},
    }


def _events_more(ctx: Ctx) -> Iterator[Probe]:
    """`extra` is bounded by the size of its JSON, which the spec cannot say."""
    for label, extra in (
        ("extra: JSON over MAX_EXTRA_BYTES", {"k": "v" * MAX_EXTRA_BYTES}),
        ("extra: many small values over MAX_EXTRA_BYTES", {f"k{i}": "v" * 200 for i in range(30)}),
        ("extra: a lone surrogate in a key", {"\ud800": 1}),
        ("extra: a lone surrogate in a nested value", {"k": [{"x": "\udfff"}]}),
    ):
        batch = _batch(ctx)
        batch["events"][0]["extra"] = extra
        yield Probe(label, "POST", "/v1/events", json=batch, headers=ctx.headers, has_json=True)


ROUTES: dict[tuple[str, str], Route] = {
    ("GET", "/healthz"): Route(),
    ("GET", "/openapi.json"): Route(),
    ("GET", "/v1/time"): Route(),
    ("POST", "/v1/enrol"): Route(
        body=lambda ctx: {"token": ctx.enrol_token, "gate": "G2", "label": "Pintu 2"}, stores=True
    ),
    ("GET", "/v1/bookings"): Route(auth=True, query=lambda ctx: {"since": ctx.cursor, "limit": "10"}),
    ("POST", "/v1/events"): Route(auth=True, body=_batch, stores=True, more=_events_more),
    ("POST", "/v1/check"): Route(auth=True, body=_check, stores=True, nul_accepted=frozenset({"payload"})),
}


def _dashboard(route: Any) -> bool:
    """A route of the office dashboard: its router included under /web, or its static files."""
    context = getattr(route, "include_context", None)
    path = str(getattr(context, "prefix", None) or getattr(route, "path", ""))
    return path == "/web" or path.startswith("/web/")


def app_routes() -> set[tuple[str, str]]:
    """(method, path) of every route of the app (HEAD aside: Starlette adds it to every GET)."""
    engine = create_engine("sqlite://", poolclass=StaticPool)
    try:
        app = create_app(engine=engine)
        found: set[tuple[str, str]] = set()
        for route in app.routes:
            if _dashboard(route):
                continue  # the office dashboard's pages (/web): tested in tests/server/web
            assert isinstance(route, StarletteRoute), f"not an HTTP route, so not probed: {route!r}"
            found |= {(method, route.path) for method in route.methods or () if method != "HEAD"}
        return found
    finally:
        engine.dispose()


def test_every_route_is_probed() -> None:
    routes = app_routes()
    assert routes - set(ROUTES) == set(), "a route without probes: add it to ROUTES"
    assert set(ROUTES) - routes == set(), "ROUTES names a route the app no longer has"


# --- the bounds, against the columns ---------------------------------------------------------------

#: Where each request field that is stored ends up (fields of WireEvent with an EventRow column of the
#: same name are found by name).
COLUMNS: dict[tuple[type[Any], str], list[Any]] = {
    (EnrolRequest, "gate"): [KioskRow.gate],
    (EnrolRequest, "label"): [KioskRow.label],
    (EventBatch, "cursor"): [KioskRow.last_cursor],
    (AuditHead, "hash"): [KioskRow.audit_hash, AuditReportRow.hash],
    (CheckRequest, "gate"): [EventRow.gate],
    (WireEvent, "kiosk_id"): [KioskRow.kiosk_id],  # the sender's id replaces it; compared, kept in extra
    (WireEvent, "office_code"): [KioskRow.office_code],
}


def _string_bounds(model: type[Any]) -> dict[str, int | None]:
    """Each string field's maxLength (None: a date or time, whose text has a fixed size)."""
    schema = model.model_json_schema()
    bounds: dict[str, int | None] = {}
    for name, prop in schema["properties"].items():
        branches = [b for b in prop.get("anyOf", [prop]) if b.get("type") != "null"]
        for branch in branches:
            if branch.get("type") == "string":
                if branch.get("format") in ("date", "date-time"):
                    bounds[name] = None
                else:
                    assert "maxLength" in branch, f"{model.__name__}.{name} is a string without maxLength"
                    bounds[name] = int(branch["maxLength"])
            elif branch.get("type") == "array":
                assert "maxItems" in branch, f"{model.__name__}.{name} is a list without maxItems"
            elif branch.get("type") == "object" and "properties" not in branch:
                assert "maxProperties" in branch, f"{model.__name__}.{name} is a dict without maxProperties"
                values = branch.get("additionalProperties")
                if isinstance(values, dict) and values.get("type") == "string":
                    assert "maxLength" in values, f"{model.__name__}.{name}: dict values without maxLength"
                    assert "maxLength" in branch.get("propertyNames", {}), f"{model.__name__}.{name}: keys"
            elif branch.get("type") == "integer":
                assert "maximum" in branch and "minimum" in branch, f"{model.__name__}.{name}: unbounded"
    return bounds


@pytest.mark.parametrize("model", [EnrolRequest, EventBatch, AuditHead, WireEvent, CheckRequest, KioskHealth])
def test_request_fields_fit_their_columns(model: type[Any]) -> None:
    """Every string, list and dict of a request model the server accepts is bounded, and no string may
    be longer than the column it is stored in."""
    for name, bound in _string_bounds(model).items():
        columns = list(COLUMNS.get((model, name), []))
        if model is WireEvent and name in EventRow.__table__.columns:
            columns.append(EventRow.__table__.columns[name])
        for column in columns:
            if isinstance(column.type, String) and column.type.length is not None and bound is not None:
                assert bound <= column.type.length, f"{model.__name__}.{name}: {bound} > {column}"


# --- probing the live server ----------------------------------------------------------------------


@pytest.fixture
def ctx(calm_server: ServerProcess, admin: Admin) -> Ctx:
    office = admin.office(signed=True)
    admin.load([booking(code, f"{office}-{code}", office) for code in codes("BD", 3)])
    token = admin.enrol(office, "G1")
    enrolled = httpx.post(f"{calm_server.url}/v1/enrol", json={"token": token, "gate": "G1"})
    assert enrolled.status_code == 200, enrolled.text
    answer = EnrolResponse.model_validate_json(enrolled.content)
    headers = {"Authorization": f"Bearer {answer.device_token}"}
    page = httpx.get(f"{calm_server.url}/v1/bookings", headers=headers)
    assert page.status_code == 200, page.text
    return Ctx(office, answer.kiosk_id, headers, admin.enrol(office, "G2"), page.json()["cursor"])


def database(admin: Admin) -> dict[str, list[str]]:
    """Every row of every table of the server, as text."""
    with reading(admin.engine) as connection:
        return {
            table.name: sorted(repr(tuple(row)) for row in connection.execute(select(table)))
            for table in Base.metadata.sorted_tables
        }


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return _resolve(spec, spec["components"]["schemas"][name])
    branches = [b for b in schema.get("anyOf", []) if b.get("type") != "null"]
    if branches:
        return _resolve(spec, branches[0])
    return schema


def _spoiled(spec: dict[str, Any], schema: dict[str, Any], value: Any, where: str) -> Iterator[tuple[str, Any]]:
    """(label, a value for this place) for each way the spec says this place can be wrong."""
    schema = _resolve(spec, schema)
    kind = schema.get("type")
    if kind == "object" and "properties" in schema:
        yield from _spoiled_model(spec, schema, value, where)
    elif kind == "array":
        yield f"{where}: not a list", "a list was expected"
        yield f"{where}: an object", {"0": value[0]}
        too_many = schema["maxItems"] + 1
        yield f"{where}: {too_many} entries", [copy.deepcopy(value[0]) for _ in range(too_many)]
        for label, spoilt in _spoiled(spec, schema["items"], value[0], f"{where}[0]"):
            yield label, [spoilt, *value[1:]]
    elif kind == "object":
        yield from _spoiled_dict(spec, schema, value, where)
    elif kind == "string":
        yield from _spoiled_text(schema, value, where)
    elif kind == "number":
        yield f"{where}: text", "seven"
        yield f"{where}: a list", [1.5]
        yield f"{where}: above its maximum", float(schema["maximum"]) * 2 + 1
        yield f"{where}: below its minimum", float(schema["minimum"]) * 2 - 1
        yield f"{where}: 1e300", 1e300
    elif kind == "boolean":
        yield f"{where}: a word", "perhaps"
        yield f"{where}: a number", 7
        yield f"{where}: a list", [True]
    elif kind == "integer":
        yield f"{where}: text", "seven"
        yield f"{where}: a fraction", 1.5
        yield f"{where}: a list", [1]
        # the spec may write a large bound as a float (2**62: 4.611686018427388e+18), exact all the same
        yield f"{where}: above its maximum", int(schema["maximum"]) + 1
        yield f"{where}: below its minimum", int(schema["minimum"]) - 1
        yield f"{where}: 2**80", 2**80
    else:
        raise AssertionError(f"{where}: no probes for a {kind!r}; teach _spoiled this type")


def _spoiled_model(spec: dict[str, Any], schema: dict[str, Any], value: Any, where: str) -> Iterator[tuple[str, Any]]:
    yield f"{where}: not an object", "an object was expected"
    yield f"{where}: a list", [value]
    yield f"{where}: an unknown field", {**value, "unknown_field": 1}
    for name in schema.get("required", []):
        yield f"{where}.{name}: missing", {k: v for k, v in value.items() if k != name}
    for name, sub in schema["properties"].items():
        assert name in value, f"the valid body leaves {where}.{name} out: set it, so that it is probed"
        for label, spoilt in _spoiled(spec, sub, value[name], f"{where}.{name}"):
            yield label, {**value, name: spoilt}


def _spoiled_dict(spec: dict[str, Any], schema: dict[str, Any], value: Any, where: str) -> Iterator[tuple[str, Any]]:
    yield f"{where}: not a dict", "a dict was expected"
    yield f"{where}: a list", [value]
    values = schema.get("additionalProperties")
    typed = isinstance(values, dict) and values.get("type") == "string"
    sample = "v" if typed else 1
    too_many = schema["maxProperties"] + 1
    yield f"{where}: {too_many} keys", {f"k{i}": sample for i in range(too_many)}
    if "maxLength" in schema.get("propertyNames", {}):
        yield f"{where}: an oversize key", {"k" * (schema["propertyNames"]["maxLength"] + 1): sample}
    if typed:
        yield f"{where}: a value that is no string", {"k": 1}
        for label, spoilt in _spoiled(spec, values, "v", f"{where}[k]"):
            yield label, {"k": spoilt}


def _spoiled_text(schema: dict[str, Any], value: Any, where: str) -> Iterator[tuple[str, Any]]:
    text = value if isinstance(value, str) else "x"
    if "maxLength" in schema:
        yield f"{where}: one character too long", text + "A" * (schema["maxLength"] + 1 - len(text))
    yield f"{where}: 64 KB", "A" * 65536
    yield f"{where}: a NUL", text[:4] + "\x00"
    yield f"{where}: a lone surrogate", "\ud800"
    if "format" not in schema:  # a number is a valid Unix time
        yield f"{where}: a number", 12345
    yield f"{where}: a list", [text]
    yield f"{where}: an object", {"x": text}
    if schema.get("format") == "date-time":
        yield f"{where}: not a time", "yesterday"
        yield f"{where}: naive", "2026-12-01T10:00:00"
        yield f"{where}: year 1800", "1800-01-01T00:00:00+00:00"
    if schema.get("format") == "date":
        yield f"{where}: not a date", "2026-13-45"


def _body_probes(spec: dict[str, Any], method: str, path: str, route: Route, ctx: Ctx) -> Iterator[Probe]:
    assert route.body is not None
    operation = spec["paths"][path][method.lower()]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    headers = ctx.headers if route.auth else {}
    for label, body in _spoiled(spec, schema, route.body(ctx), "body"):
        name = label.split(":")[0].removeprefix("body.")
        if name in route.nul_accepted and label.endswith("a NUL"):
            continue
        yield Probe(label, method, path, json=body, headers=headers, has_json=True)
    json_type = {**headers, "Content-Type": "application/json"}
    for label, raw, kind in (
        ("broken JSON", b'{"events": [', json_type),
        ("non-UTF-8 bytes", b'{"gate": "\xff\xfe"}', json_type),
        ("a UTF-16 BOM and odd bytes", b"\xff\xfe{", json_type),
        ("nested 100,000 deep", b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", json_type),
        ("a JSON list", b"[]", json_type),
        ("a JSON string", b'"x"', json_type),
        ("JSON null", b"null", json_type),
        ("empty", b"", json_type),
        ("text/plain", b"{}", {**headers, "Content-Type": "text/plain"}),
        ("a form", b"token=x&gate=G1", {**headers, "Content-Type": "application/x-www-form-urlencoded"}),
    ):
        yield Probe(f"body: {label}", method, path, content=raw, headers=kind)


def _query_probes(spec: dict[str, Any], method: str, path: str, route: Route, ctx: Ctx) -> Iterator[Probe]:
    base = route.query(ctx) if route.query else {}
    headers = ctx.headers if route.auth else {}
    for parameter in spec["paths"][path][method.lower()].get("parameters", []):
        name, schema = parameter["name"], _resolve(spec, parameter["schema"])
        if parameter["in"] == "header":
            if "maxLength" in schema:
                value = "Bearer " + "A" * schema["maxLength"]
                spoilt = {k: v for k, v in headers.items() if k.lower() != name.lower()} | {name: value}
                yield Probe(f"header {name}: too long", method, path, headers=spoilt)
            continue
        assert parameter["in"] == "query", f"{name}: a {parameter['in']} parameter; teach _query_probes it"
        raw: list[str] = ["%00", "%FF", "%ED%A0%80", "A" * 5000]  # NUL, not UTF-8, a surrogate, long
        if schema.get("type") == "string":
            raw.append("a" * (schema.get("maxLength", 4999) + 1))
        if schema.get("type") == "integer":
            raw += ["seven", "1.5", "", str(int(schema["maximum"]) + 1), str(int(schema["minimum"]) - 1), str(2**80)]
        for value in raw:
            others = "&".join(f"{k}={v}" for k, v in base.items() if k != name)
            query = f"{name}={value}" + (f"&{others}" if others else "")
            yield Probe(f"query {name}={value[:12]!r}", method, f"{path}?{query}", headers=headers)


def _auth_probes(method: str, path: str, body: Any) -> Iterator[Probe]:
    has_json = body is not None
    for label, value in (
        ("no token", None),
        ("another scheme", "Basic QUJD"),
        ("an unknown token", "Bearer " + "x" * 43),
        ("bytes that are not text", b"Bearer \xff\xfe\x80"),
    ):
        headers = {} if value is None else {"Authorization": value}
        yield Probe(f"auth: {label}", method, path, body, None, headers, frozenset({401}), has_json)


def _ignored_input(method: str, path: str) -> Iterator[Probe]:
    """A route that takes no input answers as usual whatever it is sent."""
    ok = frozenset({200})
    yield Probe("query: long", method, f"{path}?x={'A' * 5000}", expect=ok)
    yield Probe("query: NUL and not UTF-8", method, f"{path}?%FF=%00&a=%ED%A0%80", expect=ok)
    yield Probe("body: not UTF-8", method, path, content=b"\xff\xfe\x00", expect=ok)
    yield Probe("header: not text", method, path, headers={"Authorization": b"\xff\xfe"}, expect=ok)


def _probes(spec: dict[str, Any], method: str, path: str, route: Route, ctx: Ctx) -> Iterator[Probe]:
    other = "GET" if method == "POST" else "POST"
    yield Probe(f"method {other}", other, path, expect=frozenset({405}))
    if route.body is None and route.query is None and not route.auth:
        yield from _ignored_input(method, path)
        return
    if route.auth:
        yield from _auth_probes(method, path, route.body(ctx) if route.body else None)
    if route.body is not None:
        yield from _body_probes(spec, method, path, route, ctx)
    yield from _query_probes(spec, method, path, route, ctx)
    if route.more is not None:
        yield from route.more(ctx)


def _send(client: httpx.Client, probe: Probe) -> httpx.Response:
    if probe.has_json:  # ASCII JSON: a lone surrogate travels as an escape, as any JSON encoder may send it
        content = json.dumps(probe.json).encode("ascii")
        headers = {**probe.headers, "Content-Type": "application/json"}
        return client.request(probe.method, probe.url, content=content, headers=headers)
    return client.request(probe.method, probe.url, content=probe.content, headers=probe.headers)


@pytest.mark.parametrize("route", sorted(ROUTES), ids=lambda r: f"{r[0]} {r[1]}")
def test_route_refuses_bad_input(route: tuple[str, str], calm_server: ServerProcess, admin: Admin, ctx: Ctx) -> None:
    method, path = route
    plan = ROUTES[route]
    with httpx.Client(base_url=calm_server.url, timeout=30) as client:
        spec = client.get("/openapi.json").json()
        problems: list[str] = []
        count = 0
        for probe in _probes(spec, method, path, plan, ctx):
            before = database(admin)
            response = _send(client, probe)
            count += 1
            if response.status_code not in probe.expect:
                problems.append(f"{probe.label}: {response.status_code} {response.text[:160]}")
            if database(admin) != before:
                problems.append(f"{probe.label}: the database changed")
        assert not problems, f"{len(problems)} of {count} probes of {method} {path}:\n" + "\n".join(problems)
        # the request every probe spoiled in one place is a good one
        before = database(admin)
        query = "&".join(f"{k}={v}" for k, v in plan.query(ctx).items()) if plan.query else ""
        valid = client.request(
            method,
            f"{path}?{query}" if query else path,
            json=plan.body(ctx) if plan.body else None,
            headers=ctx.headers if plan.auth else {},
        )
        assert valid.status_code == 200, valid.text
        assert (database(admin) != before) is plan.stores


@pytest.mark.parametrize("route", sorted(ROUTES), ids=lambda r: f"{r[0]} {r[1]}")
def test_route_refuses_oversize_body(
    route: tuple[str, str], calm_server: ServerProcess, admin: Admin, ctx: Ctx
) -> None:
    """Every route has a body limit (issue 13): a declared length one byte over it is 413 before a byte
    of the body is sent, the connection closed, nothing stored; the route's valid request padded with
    blanks to exactly the limit is served as usual."""
    method, path = route
    plan = ROUTES[route]
    limit = BodyLimits().for_path(path)
    auth = [f"Authorization: {ctx.headers['Authorization']}"] if plan.auth else []
    head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json", *auth]
    before = database(admin)
    status, answer, closed = raw_exchange(calm_server.url, "\r\n".join([*head, f"Content-Length: {limit + 1}"]))
    assert (status, closed) == (413, True), answer[:300]
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["error"] == "request_too_large"
    assert database(admin) == before
    if method == "POST" and plan.body is not None:
        valid = json.dumps(plan.body(ctx)).encode()
        body = valid + b" " * (limit - len(valid))
        query = ""
    else:
        body = b" " * limit
        query = "?" + "&".join(f"{k}={v}" for k, v in plan.query(ctx).items()) if plan.query else ""
    head[0] = f"{method} {path}{query} HTTP/1.1"
    status, answer, _ = raw_exchange(
        calm_server.url, "\r\n".join([*head, f"Content-Length: {len(body)}", "Connection: close"]), body
    )
    assert status == 200, answer[:300]
    assert (database(admin) != before) is plan.stores


# --- the long signed code -------------------------------------------------------------------------


def _signed_text(length: int, seed: int) -> str:
    chooser = random.Random(seed)
    return "KS1." + "".join(chooser.choice(BASE32) for _ in range(length - 4))


def _stored(admin: Admin, event_uuid: str) -> Any:
    with reading(admin.engine) as connection:
        return connection.execute(select(EventRow).where(EventRow.event_uuid == event_uuid)).one_or_none()


def test_long_payload_at_check_and_upload(calm_server: ServerProcess, admin: Admin, ctx: Ctx) -> None:
    """A 160-character KS1 text (a forged signed code) is decided and stored with a masked code of at most
    40 characters: the same text gives the same masked code, another text another one."""

    def check(payload: str) -> tuple[httpx.Response, str]:
        body = {**_check(ctx), "payload": payload}
        response = httpx.post(f"{calm_server.url}/v1/check", json=body, headers=ctx.headers)
        return response, body["event_uuid"]

    forged = _signed_text(160, seed=1)
    masked: list[str] = []
    for _ in range(2):
        response, event_uuid = check(forged)
        assert response.status_code == 200, response.text
        assert response.json()["decision"]["reason"] == "FORGED"
        row = _stored(admin, event_uuid)
        assert row is not None and len(row.code_masked) <= MAX_MASKED_CHARS
        assert row.code_masked.startswith("KS1.") and "/160#" in row.code_masked
        masked.append(row.code_masked)
    assert masked[0] == masked[1], "two reports of one forged code must match"
    other = forged[:80] + ("A" if forged[80] != "A" else "B") + forged[81:]  # same ends, same length
    response, event_uuid = check(other)
    assert response.status_code == 200
    assert _stored(admin, event_uuid).code_masked != masked[0]

    for payload in (_signed_text(404, seed=2), "X" * 41, "https://example.com/" + "a" * 490, "A\x00B" * 10):
        response, event_uuid = check(payload)
        assert response.status_code == 200, (payload[:20], response.text)
        assert len(_stored(admin, event_uuid).code_masked) <= MAX_MASKED_CHARS

    # the kiosk's record of such a scan (masked by the kiosk, with its own key) is stored as sent
    upload = _batch(ctx)
    kiosk_masked = mask_evidence(forged, "1a2b3c4d" * 8)
    upload["events"][0].update(code_masked=kiosk_masked, payload_kind="signed_code", reason="FORGED")
    response = httpx.post(f"{calm_server.url}/v1/events", json=upload, headers=ctx.headers)
    assert response.status_code == 200, response.text
    assert response.json()["results"][0]["status"] == "stored"
    assert _stored(admin, upload["events"][0]["event_uuid"]).code_masked == kiosk_masked

    # the whole text where the masked form belongs is refused, not cut and not a server error
    before = database(admin)
    upload = _batch(ctx)
    upload["events"][0]["code_masked"] = forged
    response = httpx.post(f"{calm_server.url}/v1/events", json=upload, headers=ctx.headers)
    assert response.status_code == 422, response.text
    assert database(admin) == before


def test_evidence_key_is_made_once(backend: str, tmp_path: Path) -> None:
    """The key is made at init and kept; a database made before it existed gets one at the next init, or
    at its first use."""
    with fresh_database(backend, tmp_path) as url:
        engine = make_engine(url)
        try:
            init_schema(engine)
            with writing(engine) as connection:
                first = evidence_key(connection)
            init_schema(engine)
            with writing(engine) as connection:
                assert evidence_key(connection) == first and len(first) == 32
                connection.execute(delete(MetaRow).where(MetaRow.key == EVIDENCE_KEY))
            init_schema(engine)  # an older server's database
            with writing(engine) as connection:
                second = evidence_key(connection)
                assert second != first
                connection.execute(delete(MetaRow).where(MetaRow.key == EVIDENCE_KEY))
            with writing(engine) as connection:
                third = evidence_key(connection)
            with writing(engine) as connection:
                assert evidence_key(connection) == third != second
        finally:
            engine.dispose()


# --- the fault layer's control route ----------------------------------------------------------------


def test_fault_control_refuses_garbage(calm_server: ServerProcess) -> None:
    """POST /_faults (tests and drills only) answers 400 to what is no plan, and keeps the plan it had."""
    headers = {"X-Fault-Token": FAULT_TOKEN, "Content-Type": "application/json"}
    with httpx.Client(base_url=calm_server.url, timeout=30) as client:
        client.post(FAULT_CONTROL, json={"rules": [{"kind": "500", "path": "/v1/none", "count": 3}]}, headers=headers)
        before = client.get(FAULT_CONTROL, headers=headers).json()
        for body in (
            b"[]",
            b'"x"',
            b"{",
            b"\xff\xfe",
            b"[" * 100_000,
            b'{"rules": "x"}',
            b'{"rules": ["x"]}',
            b'{"rules": [{"kind": "500", "count": "many"}]}',
            b'{"rules": [{"kind": "500", "nonsense": 1}]}',
            b'{"rules": [{"kind": "nonsense"}]}',
            b'{"rate": "x"}',
            b'{"rate": NaN}',
            b'{"rate": -1}',
            b'{"timeout_s": {}}',
            b'{"clock_shift_s": 1e300}',
            b'{"clock_shift_s": "x"}',
            b'{"seed": {}}',
            b'{"rules": [], "rate": "x"}',
        ):
            response = client.post(FAULT_CONTROL, content=body, headers=headers)
            assert response.status_code == 400, (body[:40], response.status_code, response.text)
            assert client.get(FAULT_CONTROL, headers=headers).json() == before, body[:40]
        assert client.post(FAULT_CONTROL, content=b"{}", headers={"X-Fault-Token": b"\xff"}).status_code == 404
        assert client.get("/v1/time").status_code == 200
        assert before["pending_rules"][0]["count"] == 3
