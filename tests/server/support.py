"""A real server on loopback for the server, sync and worker tests and the benchmark.

The server runs as `python -m kiosk.server.cli run --port 0` in a subprocess (so its request threads
never count as leaked threads of the test), on SQLite or on PostgreSQL. PostgreSQL comes from
scripts/start-postgres through KIOSK_TEST_PG_DSN: without it a postgres test is skipped on a
developer's machine and FAILS under CI (env CI set), so CI can never pass without having run them.
Each use gets a fresh database (a new SQLite file, or a new PostgreSQL database dropped afterwards).
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import selectors
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import Engine, create_engine, select, text

from kiosk.protocol.schema import WireBooking
from kiosk.server import events, kiosks, offices
from kiosk.server.db import init_schema, make_engine, reading, writing
from kiosk.server.models import EventRow

PG_ENV = "KIOSK_TEST_PG_DSN"
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
WIB = ZoneInfo("Asia/Jakarta")
FAULT_TOKEN = "fault-token-for-tests"


def postgres_dsn() -> str:
    dsn = os.environ.get(PG_ENV, "")
    if not dsn:
        message = f'{PG_ENV} is not set: run `eval "$(scripts/start-postgres)"` first'
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL tests must run in CI: {message}")
        pytest.skip(message)
    return dsn


@contextmanager
def fresh_database(backend: str, directory: Path) -> Iterator[str]:
    """A database URL nobody else uses, removed afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{directory / f'server-{secrets.token_hex(3)}.db'}"
        return
    dsn = postgres_dsn()
    name = f"kiosk_t_{secrets.token_hex(5)}"
    admin = create_engine(dsn, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {name}"))
        yield dsn.rsplit("/", 1)[0] + f"/{name}"
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    finally:
        admin.dispose()


class ServerProcess:
    """`kiosk server run` on 127.0.0.1 and a free port, with fault control."""

    def __init__(self, db_url: str, log_path: Path, *, page_limit: int = 2000, extra: Sequence[str] = ()) -> None:
        self.db_url = db_url
        self.log_path = log_path
        self.page_limit = page_limit
        self.extra = list(extra)
        self.url = ""
        self._process: subprocess.Popen[str] | None = None

    def start(self) -> ServerProcess:
        command = [
            sys.executable, "-m", "kiosk.server.cli", "--db", self.db_url, "run", "--host", "127.0.0.1",
            "--port", "0", "--fault-token", FAULT_TOKEN, "--fault-timeout", "1.5",
            "--page-limit", str(self.page_limit), *self.extra,
        ]  # fmt: skip
        log = self.log_path.open("a", encoding="utf-8")
        self._process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True)
        log.close()
        assert self._process.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(self._process.stdout, selectors.EVENT_READ)
        try:
            if not selector.select(timeout=30):
                self.stop()
                raise RuntimeError(f"server did not start: {self.log_path.read_text()[-2000:]}")
        finally:
            selector.close()
        line = self._process.stdout.readline()
        if "listening on" not in line:
            self.stop()
            raise RuntimeError(f"server did not start: {line} {self.log_path.read_text()[-2000:]}")
        self.url = line.rsplit(" ", 1)[1].strip()
        return self

    @property
    def pid(self) -> int:
        assert self._process is not None, "the server is not running"
        return self._process.pid

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        if process.stdout is not None:
            process.stdout.close()

    def faults(self, **plan: Any) -> dict[str, Any]:
        """Replace the fault plan: rules=[{"kind", "path", "count"}], rate=, random_kinds=, seed=, clock_shift_s=."""
        response = httpx.post(f"{self.url}/_faults", json=plan, headers={"X-Fault-Token": FAULT_TOKEN}, timeout=5)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def calm(self) -> dict[str, Any]:
        return self.faults(rules=[], rate=0.0, clock_shift_s=0)


class Admin:
    """The admin side, straight on the server's database (as `kiosk server ...` does)."""

    def __init__(self, db_url: str) -> None:
        self.engine: Engine = make_engine(db_url)
        init_schema(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def office(self, code: str | None = None, *, signed: bool = False, **rules: Any) -> str:
        code = code or f"OF{secrets.token_hex(3).upper()}"
        with writing(self.engine) as connection:
            offices.add_office(connection, code, now(), {"zone": "Asia/Jakarta", **rules}, signed)
        return code

    def load(self, rows: Sequence[dict[str, Any]]) -> offices.ImportReport:
        bookings = [offices.wire_booking(row) for row in rows]
        with writing(self.engine) as connection:
            return offices.apply_import(connection, bookings, now())

    def enrol(self, office: str, gate: str = "G1") -> str:
        with writing(self.engine) as connection:
            return kiosks.create(connection, office, gate, now()).token

    def revoke(self, kiosk_id: str) -> None:
        with writing(self.engine) as connection:
            kiosks.revoke(connection, kiosk_id, now())

    def cancel(self, code: str, rescheduled: bool = False) -> None:
        with writing(self.engine) as connection:
            offices.cancel(connection, code, "rescheduled" if rescheduled else "cancelled", now())

    def events(self, office: str) -> list[Any]:
        with reading(self.engine) as connection:
            return events.events_of(connection, office)

    def event_uuids(self, office: str) -> list[str]:
        with reading(self.engine) as connection:
            return list(connection.execute(select(EventRow.event_uuid).where(EventRow.office_code == office)).scalars())

    def kiosk(self, kiosk_id: str) -> Any:
        with reading(self.engine) as connection:
            return kiosks.kiosk(connection, kiosk_id)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def booking(code: str, ref: str, office: str, day: dt.date | None = None, **fields: Any) -> dict[str, Any]:
    """A booking row as an export line; by default for today (WIB) with a slot that spans the day."""
    row = {
        "code": code,
        "booking_ref": ref,
        "office_code": office,
        "service_date": (day or now().astimezone(WIB).date()).isoformat(),
        "slot_start": "00:00",
        "slot_end": "23:59",
        "status": "active",
        "party_size": 1,
        "category": "regular",
        "display_name": f"Pemohon {ref}",
        "nik_last4": "1234",
    }
    row.update(fields)
    WireBooking.model_validate({k: v for k, v in row.items() if v != ""})
    return row


def codes(prefix: str, count: int) -> list[str]:
    """Distinct booking codes no other test uses (codes are unique server-wide): the prefix, five
    random letters (three gave two calls of one module the same tag now and then), a number; 12
    characters."""
    tag = "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(5))
    digits = 7 - len(prefix)
    if count > 10**digits:
        raise ValueError(f"at most {10**digits} codes with a prefix of {len(prefix)}")
    return [f"{prefix}{tag}{index:0{digits}d}" for index in range(count)]


def wait_until(predicate: Any, timeout: float = 10.0, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


@contextmanager
def enrolled_kiosk(
    directory: Path, server: ServerProcess, admin: Admin, office: str, gate: str = "G1"
) -> Iterator[Any]:
    """A kiosk database in `directory`, enrolled with the server for `office` at `gate`."""
    from kiosk.store.db import KioskStore
    from kiosk.sync.client import enrol

    store = KioskStore.open(directory / f"kiosk-{gate}-{secrets.token_hex(2)}.db")
    try:
        enrol(store, server.url, admin.enrol(office, gate), gate)
        yield store
    finally:
        store.close()


def kiosk_event_uuids(store: Any) -> list[str]:
    from kiosk.store.schema import ScanEventRow

    with store.reading() as connection:
        return list(connection.execute(select(ScanEventRow.event_uuid)).scalars())


def sync(store: Any, **options: Any) -> Any:
    """One sync with a client that is closed afterwards."""
    from kiosk.sync.client import SyncClient

    with SyncClient(store, **options) as client:
        return client.sync_once()
