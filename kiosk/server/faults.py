"""Fault injection for tests and drills: `kiosk server run --faults ...` or a FaultPlan in a test.

A pure ASGI layer in front of the API. Each fault either answers instead of the API (500, 503, 429,
garbage), or lets the API run and commit and then spoils the answer: a 500 after the commit, a
response held back past the client's timeout, a connection dropped halfway through the body, or a
booking page changed and signed again with the server's own key (a repeated earlier page, a cursor
that goes backwards, a page claiming another office) or with its signature broken. Faults come from a
queue of rules (path prefix, count) or at random with a given rate. Control it at run time with
POST /_faults (header X-Fault-Token), which also shifts the server's clock.

The production app (kiosk/server/app.py) knows nothing of this module: `with_faults(create_app(...), plan)`
wraps it from outside, and only `kiosk server run --faults/--fault-token` does so.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import math
import random
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from kiosk.protocol.wire import KEY_ID_HEADER, KNOWN_KEYS_HEADER, SIGNATURE_HEADER, CursorValue
from kiosk.server.context import ServerContext

Scope = dict[str, Any]
Message = dict[str, Any]

#: Faults that answer instead of the API (nothing is committed).
BEFORE = ("500", "503", "429", "garbage")
#: Faults that let the API commit, then spoil the answer.
AFTER = ("500-after-commit", "timeout", "drop")
#: Faults that change a booking page (only on GET /v1/bookings).
PAGE = ("repeat", "backwards", "other-office", "bad-signature")
KINDS = BEFORE + AFTER + PAGE
CONTROL_PATH = "/_faults"
TOKEN_HEADER = b"x-fault-token"


@dataclass
class Rule:
    kind: str
    path: str = "/v1/"
    count: int = 1
    #: Let this many matching requests through first (e.g. fail the third page of a first sync).
    after: int = 0


@dataclass
class FaultPlan:
    """What to inject. Thread-safe; the counters say what was injected."""

    rules: list[Rule] = field(default_factory=list)
    rate: float = 0.0
    random_kinds: tuple[str, ...] = KINDS
    timeout_s: float = 2.0
    seed: int | None = None
    token: str = ""
    injected: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _random: random.Random = field(default_factory=random.Random, repr=False)

    def __post_init__(self) -> None:
        for kind in (*[r.kind for r in self.rules], *self.random_kinds):
            if kind not in KINDS:
                raise ValueError(f"unknown fault {kind!r}; known: {', '.join(KINDS)}")
        if self.seed is not None:
            self._random.seed(self.seed)

    def take(self, method: str, path: str) -> str | None:
        with self._lock:
            for rule in self.rules:
                if rule.count > 0 and path.startswith(rule.path) and self._fits(rule.kind, method, path):
                    if rule.after > 0:
                        rule.after -= 1
                        continue
                    rule.count -= 1
                    self.injected[rule.kind] += 1
                    return rule.kind
            self.rules = [rule for rule in self.rules if rule.count > 0]
            if self.rate > 0 and path.startswith("/v1/") and self._random.random() < self.rate:
                kinds = [kind for kind in self.random_kinds if self._fits(kind, method, path)]
                if kinds:
                    kind = self._random.choice(kinds)
                    self.injected[kind] += 1
                    return kind
        return None

    def replace(self, data: Any) -> None:
        """Take a new plan from the control request's JSON. Raises ValueError or TypeError, with the
        plan unchanged, for anything that is not a plan."""
        if not isinstance(data, dict) or not isinstance(data.get("rules", []), list):
            raise ValueError("a fault plan is a JSON object whose rules are a list")
        rules = [_rule(rule) for rule in data.get("rules", [])]
        kinds = tuple(data.get("random_kinds", KINDS))
        for kind in (*[r.kind for r in rules], *kinds):
            if kind not in KINDS:
                raise ValueError(f"unknown fault {kind!r}")
        rate = _number(data.get("rate", 0.0))
        timeout_s = _number(data.get("timeout_s", self.timeout_s))
        seed = data.get("seed")
        if seed is not None and not isinstance(seed, int | float | str):
            raise TypeError("seed must be a number or a string")
        with self._lock:
            self.rules = rules
            self.rate = rate
            self.random_kinds = kinds
            self.timeout_s = timeout_s
            if "seed" in data:
                self._random.seed(seed)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "injected": dict(self.injected),
                "pending_rules": [rule.__dict__ for rule in self.rules],
                "rate": self.rate,
            }

    @staticmethod
    def _fits(kind: str, method: str, path: str) -> bool:
        if kind in PAGE:
            return method == "GET" and path.startswith("/v1/bookings")
        return True


def _rule(data: Any) -> Rule:
    if not isinstance(data, dict):
        raise TypeError("a fault rule is a JSON object")
    rule = Rule(**data)
    if not isinstance(rule.kind, str) or not isinstance(rule.path, str):
        raise TypeError("a fault rule's kind and path are strings")
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in (rule.count, rule.after)):
        raise TypeError("a fault rule's count and after are integers")
    return rule


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError(f"not a number: {value!r:.40}")
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"not a finite number of at least 0: {value!r:.40}")
    return number


def with_faults(app: Any, plan: FaultPlan) -> FaultMiddleware:
    """`app` (from kiosk.server.app.create_app) behind the fault-injection layer, sharing its context
    (its clock, which POST /_faults shifts, and its signing of spoilt pages)."""
    context = app.state.context
    if not isinstance(context, ServerContext):
        raise TypeError("with_faults wraps an app made by kiosk.server.app.create_app")
    return FaultMiddleware(app, plan, context)


class FaultMiddleware:
    def __init__(self, app: Any, plan: FaultPlan, context: ServerContext) -> None:
        self.app = app
        self.plan = plan
        self.context = context
        self._last_page: dict[bytes, tuple[bytes, dict[str, str]]] = {}

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == CONTROL_PATH:
            await self._control(scope, receive, send)
            return
        kind = self.plan.take(scope["method"], scope["path"])
        if kind is None and not scope["path"].startswith("/v1/bookings"):
            await self.app(scope, receive, send)
            return
        if kind in BEFORE:
            await self._answer_instead(kind, send)
            return
        status, headers, body = await self._run(scope, receive)
        auth = dict(scope["headers"]).get(b"authorization", b"")
        if kind is None:
            if status == 200:
                self._last_page[auth] = (body, _page_headers(headers))
            await _send(send, status, headers, body)
            return
        if kind == "500-after-commit":
            await _send(send, 500, [(b"content-type", b"text/plain")], b"injected: 500 after commit")
        elif kind == "timeout":
            await asyncio.sleep(self.plan.timeout_s)
            await _send(send, status, headers, body)
        elif kind == "drop":
            await send({"type": "http.response.start", "status": status, "headers": _with_length(headers, len(body))})
            await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})
            raise ConnectionAbortedError("injected: connection dropped after commit")
        elif status != 200:
            await _send(send, status, headers, body)
        else:
            previous = self._last_page.get(auth)
            self._last_page[auth] = (body, _page_headers(headers))
            known_header = dict(scope["headers"]).get(KNOWN_KEYS_HEADER.lower().encode(), b"")
            known = [k for k in known_header.decode("latin-1").split(",") if k]
            body, page_headers = self._spoil(kind, body, _page_headers(headers), previous, known)
            await _send(send, 200, _replace_page_headers(headers, page_headers, len(body)), body)

    def _spoil(
        self,
        kind: str | None,
        body: bytes,
        headers: dict[str, str],
        previous: tuple[bytes, dict[str, str]] | None,
        known: list[str],
    ) -> tuple[bytes, dict[str, str]]:
        if kind == "repeat":
            return previous if previous is not None else (body, headers)
        if kind == "bad-signature":
            signature = headers.get(SIGNATURE_HEADER, "")
            flipped = ("B" if signature[:1] == "A" else "A") + signature[1:]
            return body, {**headers, SIGNATURE_HEADER: flipped}
        page = json.loads(body)
        if kind == "backwards":
            since = page.get("since")
            if since is None:
                return body, headers
            cursor = CursorValue.parse(since)
            page["cursor"] = str(CursorValue(cursor.epoch, max(cursor.seq - 1, 0)))
            if cursor.seq == 0:
                page["cursor"] = str(CursorValue("ffffffff", 0))
        elif kind == "other-office":
            page["office"]["office_code"] = "ZZ-OTHER"
            for booking in page["bookings"]:
                booking["office_code"] = "ZZ-OTHER"
        data = json.dumps(page).encode("utf-8")
        return data, self.context.sign_page(data, known)

    async def _answer_instead(self, kind: str, send: Any) -> None:
        if kind == "garbage":
            noise = bytes(random.Random().randrange(256) for _ in range(64))
            await _send(send, 200, [(b"content-type", b"application/json")], b'{"bookings": [\x00' + noise)
            return
        headers = [(b"content-type", b"text/plain")]
        if kind in ("503", "429"):
            headers.append((b"retry-after", b"1"))
        await _send(send, int(kind), headers, f"injected: {kind}".encode())

    async def _run(self, scope: Scope, receive: Any) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        status = 500
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status, headers = message["status"], list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        return status, headers, b"".join(chunks)

    async def _control(self, scope: Scope, receive: Any, send: Any) -> None:
        token = dict(scope["headers"]).get(TOKEN_HEADER, b"").decode("latin-1")
        if not self.plan.token or token != self.plan.token:
            await _send(send, 404, [(b"content-type", b"text/plain")], b"not found")
            return
        if scope["method"] == "POST":
            body = b""
            while True:
                message = await receive()
                body += message.get("body", b"")
                if not message.get("more_body"):
                    break
            try:
                data = json.loads(body or b"{}")
                shift = self.context.clock_shift
                if isinstance(data, dict) and "clock_shift_s" in data:
                    seconds = data["clock_shift_s"]
                    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
                        raise TypeError("clock_shift_s must be a number of seconds")
                    shift = dt.timedelta(seconds=seconds)
                self.plan.replace(data)
                self.context.clock_shift = shift
            except (ValueError, TypeError, OverflowError, RecursionError) as exc:
                await _send(send, 400, [(b"content-type", b"text/plain")], str(exc).encode())
                return
        answer = {**self.plan.snapshot(), "clock_shift_s": self.context.clock_shift.total_seconds()}
        await _send(send, 200, [(b"content-type", b"application/json")], json.dumps(answer).encode())


async def _send(send: Any, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": _with_length(headers, len(body))})
    await send({"type": "http.response.body", "body": body})


def _with_length(headers: list[tuple[bytes, bytes]], length: int) -> list[tuple[bytes, bytes]]:
    kept = [(k, v) for k, v in headers if k.lower() != b"content-length"]
    return [*kept, (b"content-length", str(length).encode())]


def _page_headers(headers: list[tuple[bytes, bytes]]) -> dict[str, str]:
    wanted = {KEY_ID_HEADER.lower(): KEY_ID_HEADER, SIGNATURE_HEADER.lower(): SIGNATURE_HEADER}
    return {wanted[k.decode().lower()]: v.decode() for k, v in headers if k.decode().lower() in wanted}


def _replace_page_headers(
    headers: list[tuple[bytes, bytes]], page_headers: dict[str, str], length: int
) -> list[tuple[bytes, bytes]]:
    names = {KEY_ID_HEADER.lower().encode(), SIGNATURE_HEADER.lower().encode()}
    kept = [(k, v) for k, v in headers if k.lower() not in names]
    kept += [(k.lower().encode(), v.encode()) for k, v in page_headers.items()]
    return _with_length(kept, length)
