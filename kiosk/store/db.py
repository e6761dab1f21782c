"""KioskStore: the one door to the kiosk's database. Everything above the store goes through here.

Opening checks the schema (upgrades an older one, refuses a newer one), the code key, the file's
integrity; every write that matters is one transaction that also extends the audit chain.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select, update
from sqlalchemy.exc import DatabaseError, OperationalError, SQLAlchemyError

import kiosk
from kiosk.domain.clock import clock_trusted
from kiosk.domain.decide import Presentation, decide
from kiosk.domain.model import Circumstances, Decision, OfficeRules
from kiosk.store import audit, migrate, settings
from kiosk.store import bookings as booking_repo
from kiosk.store import guards as guard_repo
from kiosk.store.codes import CodeHasher, CodeKeyError, key_path_for, load_or_create_key
from kiosk.store.engine import IMMEDIATE, make_engine
from kiosk.store.recorder import Recorded, decide_and_record, lookup
from kiosk.store.schema import BookingRow, OutboxRow, ScanEventRow, SyncStateRow
from kiosk.store.times import from_text, to_text

log = logging.getLogger(__name__)

KEY_FINGERPRINT = "codes.key_fingerprint"
SYNC_ENROLLED = "sync.enrolled"
MAX_CLOCK_OFFSET_S = 120.0
DEFAULT_RETENTION_DAYS = 7


class StoreError(Exception):
    """The database cannot be used; the message says why and what to do. The kiosk goes OUT OF ORDER."""


@dataclass(frozen=True, slots=True)
class PurgeReport:
    bookings: int
    cutoff: dt.date


class KioskStore:
    def __init__(self, path: Path, engine: Engine, hasher: CodeHasher) -> None:
        self.path = path
        self.engine = engine
        self.hasher = hasher
        self.anchor_path = audit.anchor_path_for(path)

    # --- opening ------------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path | str, *, create: bool = True, upgrade: bool = True) -> KioskStore:
        """Open (or create) the database at `path`. Raises StoreError with a clear message on any problem."""
        path = Path(path)
        existed = path.exists()
        if not existed and not create:
            raise StoreError(f"no kiosk database at {path}")
        if existed:
            _check_is_sqlite(path)
        engine = make_engine(path)
        try:
            if upgrade:
                migrate.upgrade(engine)
            elif migrate.needs_upgrade(engine):
                migrate.check_not_newer(engine)
                raise StoreError(f"the database at {path} needs an upgrade: run `kiosk db upgrade --db {path}`")
            hasher = load_or_create_key(key_path_for(path), create=not existed or _has_no_bookings(engine))
            store = cls(path, engine, hasher)
            store._check_key()
        except migrate.SchemaError as exc:
            engine.dispose()
            raise StoreError(str(exc)) from exc
        except CodeKeyError as exc:
            engine.dispose()
            raise StoreError(str(exc)) from exc
        except (DatabaseError, OperationalError) as exc:
            engine.dispose()
            raise StoreError(_explain_sqlite_error(path, exc)) from exc
        return store

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> KioskStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """One write transaction holding the write lock from its first statement (BEGIN IMMEDIATE)."""
        with self.engine.connect().execution_options(**{IMMEDIATE: True}) as connection, connection.begin():
            yield connection

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        with self.engine.connect() as connection, connection.begin():
            yield connection

    # --- settings -----------------------------------------------------------------------------------

    def rules(self) -> OfficeRules:
        with self.reading() as connection:
            data = settings.get(connection, settings.RULES_KEY)
            identity = settings.identity_from_json(settings.get(connection, settings.IDENTITY_KEY))
        return settings.rules_from_json(data) if data else OfficeRules(office_code=identity.office_code)

    def identity(self) -> settings.Identity:
        with self.reading() as connection:
            return settings.identity_from_json(settings.get(connection, settings.IDENTITY_KEY))

    def configure(self, identity: settings.Identity, rules: OfficeRules, now: dt.datetime) -> None:
        """Set who this kiosk is and the office's rules; audited, since rules change what gets in."""
        if rules.office_code != identity.office_code:
            raise StoreError("the office rules are for another office than the kiosk's")
        with self.writing() as connection:
            settings.put(connection, settings.IDENTITY_KEY, settings.identity_to_json(identity))
            settings.put(connection, settings.RULES_KEY, settings.rules_to_json(rules))
            digest = audit.canonical_digest(
                {"identity": settings.identity_to_json(identity), "rules": settings.rules_to_json(rules)}
            )
            audit.append(connection, to_text(now), "settings", "office", digest)
        self._write_anchor()

    # --- the decision -------------------------------------------------------------------------------

    def circumstances(self, now: dt.datetime) -> Circumstances:
        with self.reading() as connection:
            return self._circumstances(connection, now)

    def decide_only(self, presentation: Presentation, now: dt.datetime) -> Decision:
        """Lookup + decide without recording (previews and the benchmark). Fails closed."""
        rules, identity = self.rules(), self.identity()
        with self.reading() as connection:
            circumstances = self._circumstances(connection, now, identity.gate)
            _, booking, entries = lookup(connection, self.hasher, presentation)
        return decide(presentation, booking, entries, rules, circumstances)

    def record(
        self, presentation: Presentation, now: dt.datetime, source: str = "camera", event_uuid: str | None = None
    ) -> Recorded:
        """Decide and make the decision durable. Raises StoreError if it could not be recorded: the
        caller must then show OUT OF ORDER and keep the gate shut."""
        rules, identity = self.rules(), self.identity()
        try:
            with self.writing() as connection:
                circumstances = self._circumstances(connection, now, identity.gate)
                recorded = decide_and_record(
                    connection, self.hasher, presentation, rules, circumstances, identity, source, event_uuid
                )
        except booking_repo.TamperedRowError as exc:
            log.error("refusing a tampered booking row: %s", exc)
            raise StoreError("a booking in the database was changed by hand; call the office's IT staff") from exc
        except SQLAlchemyError as exc:
            log.error("could not record a scan: %s", exc)
            raise StoreError(_explain_sqlite_error(self.path, exc)) from exc
        self._write_anchor()
        return recorded

    def _circumstances(self, connection: Connection, now: dt.datetime, gate: str | None = None) -> Circumstances:
        state = connection.execute(select(SyncStateRow).where(SyncStateRow.id == 1)).first()
        enrolled = settings.get(connection, SYNC_ENROLLED)
        offset = state.server_offset_s if state else None
        data_age: dt.timedelta | None = None
        if enrolled:
            as_of = from_text(state.data_as_of) if state and state.data_as_of else None
            data_age = now - as_of if as_of else dt.timedelta.max
        trusted = clock_trusted(now, dt.date.fromisoformat(kiosk.BUILD_DATE), offset, MAX_CLOCK_OFFSET_S)
        if gate is None:
            gate = settings.identity_from_json(settings.get(connection, settings.IDENTITY_KEY)).gate
        return Circumstances(now=now, gate=gate, data_age=data_age, clock_trusted=trusted)

    # --- bookings -----------------------------------------------------------------------------------

    def import_bookings(self, incoming: Iterable[booking_repo.IncomingBooking], now: dt.datetime, source: str) -> int:
        """Apply bookings in one transaction and note the import in the audit chain."""
        with self.writing() as connection:
            applied = booking_repo.upsert(connection, self.hasher, incoming)
            digest = audit.canonical_digest({"source": source, "applied": applied})
            audit.append(connection, to_text(now), "import", f"bookings:{applied}", digest)
        self._write_anchor()
        return applied

    def booking_count(self) -> int:
        with self.reading() as connection:
            return booking_repo.count(connection)

    # --- guards -------------------------------------------------------------------------------------

    def add_guard(self, name: str, pin: str, now: dt.datetime) -> guard_repo.Guard:
        with self.writing() as connection:
            guard = guard_repo.add(connection, name, pin, now)
            audit.append(connection, to_text(now), "guard.add", f"guard:{guard.id}", audit.canonical_digest({}))
        self._write_anchor()
        return guard

    def set_guard_active(self, name: str, active: bool, now: dt.datetime) -> guard_repo.Guard:
        with self.writing() as connection:
            guard = guard_repo.set_active(connection, name, active)
            kind = "guard.enable" if active else "guard.disable"
            audit.append(connection, to_text(now), kind, f"guard:{guard.id}", audit.canonical_digest({}))
        self._write_anchor()
        return guard

    def guards(self) -> list[guard_repo.Guard]:
        with self.reading() as connection:
            return guard_repo.all_guards(connection)

    def authenticate(self, name: str, pin: str, now: dt.datetime) -> guard_repo.Guard:
        with self.writing() as connection:
            result = guard_repo.authenticate(connection, name, pin, now)
        if result.guard is None:
            raise guard_repo.GuardError(result.message)
        return result.guard

    # --- audit --------------------------------------------------------------------------------------

    def verify_audit(self) -> audit.VerifyReport:
        with self.reading() as connection:
            return audit.verify(connection, audit.read_anchor(self.anchor_path))

    def audit_head(self) -> audit.Head:
        with self.reading() as connection:
            return audit.head(connection)

    def _write_anchor(self) -> None:
        try:
            audit.write_anchor(self.anchor_path, self.audit_head())
        except OSError as exc:  # the chain itself is committed; a stale anchor only weakens truncation checks
            log.warning("could not update the audit head file %s: %s", self.anchor_path, exc)

    # --- retention and privacy ----------------------------------------------------------------------

    def purge(self, now: dt.datetime, retention_days: int = DEFAULT_RETENTION_DAYS) -> PurgeReport:
        """Delete bookings whose service date is older than the retention period; blank guard notes
        on events of the same age. Events keep their non-personal facts for the audit chain."""
        cutoff = (now.astimezone(self.rules().tz) - dt.timedelta(days=retention_days)).date()
        with self.writing() as connection:
            result = connection.execute(delete(BookingRow).where(BookingRow.service_date < cutoff.isoformat()))
            deleted = result.rowcount or 0
            audit.append(
                connection,
                to_text(now),
                "purge",
                f"bookings:{deleted}",
                audit.canonical_digest({"cutoff": cutoff.isoformat(), "deleted": deleted}),
            )
        self._write_anchor()
        return PurgeReport(deleted, cutoff)

    def pii_inventory(self) -> dict[str, int]:
        """How many stored values of each personal field there are (for a breach notice)."""
        with self.reading() as connection:

            def count(column: Any, table: Any) -> int:
                query = select(func.count()).select_from(table).where(column.is_not(None), column != "")
                return int(connection.execute(query).scalar_one())

            return {
                "bookings.display_name": count(BookingRow.display_name, BookingRow),
                "bookings.nik_last4": count(BookingRow.nik_last4, BookingRow),
                "bookings (rows)": booking_repo.count(connection),
                "scan_events.note (guard notes)": count(ScanEventRow.note, ScanEventRow),
                "outbox (events not yet uploaded)": int(
                    connection.execute(select(func.count()).select_from(OutboxRow)).scalar_one()
                ),
            }

    def outbox_size(self) -> int:
        with self.reading() as connection:
            return int(connection.execute(select(func.count()).select_from(OutboxRow)).scalar_one())

    def event(self, event_uuid: str) -> dict[str, Any] | None:
        with self.reading() as connection:
            row = connection.execute(select(ScanEventRow).where(ScanEventRow.event_uuid == event_uuid)).first()
            return None if row is None else dict(row._mapping)

    def integrity_ok(self) -> bool:
        with self.reading() as connection:
            return connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"

    def set_sync_state(self, **values: Any) -> None:
        with self.writing() as connection:
            exists = connection.execute(select(SyncStateRow.id).where(SyncStateRow.id == 1)).first()
            if exists:
                connection.execute(update(SyncStateRow).where(SyncStateRow.id == 1).values(**values))
            else:
                connection.execute(insert(SyncStateRow).values(id=1, **values))

    # --- key check ----------------------------------------------------------------------------------

    def _check_key(self) -> None:
        with self.writing() as connection:
            stored = settings.get(connection, KEY_FINGERPRINT)
            if stored is None:
                settings.put(connection, KEY_FINGERPRINT, self.hasher.fingerprint)
            elif stored != self.hasher.fingerprint and booking_repo.count(connection) == 0:
                log.warning("new code key for a database without bookings; old scan hashes will not match")
                settings.put(connection, KEY_FINGERPRINT, self.hasher.fingerprint)
            elif stored != self.hasher.fingerprint:
                raise CodeKeyError(
                    f"the code key file {key_path_for(self.path)} does not belong to this database "
                    "(its fingerprint differs). Put back the key made with this database."
                )


def _has_no_bookings(engine: Engine) -> bool:
    with engine.connect() as connection:
        return booking_repo.count(connection) == 0


def _check_is_sqlite(path: Path) -> None:
    try:
        with path.open("rb") as handle:
            header = handle.read(16)
    except OSError as exc:
        raise StoreError(f"cannot read the database file {path}: {exc.strerror}") from exc
    if header and header != b"SQLite format 3\x00":
        raise StoreError(f"{path} is not an SQLite database (is it the right file? is it damaged?)")


def _explain_sqlite_error(path: Path, exc: Exception) -> str:
    text = str(getattr(exc, "orig", exc))
    if isinstance(getattr(exc, "orig", None), sqlite3.OperationalError):
        if "locked" in text or "busy" in text:
            return f"the database {path} is locked by another program; close it and try again ({text})"
        if "readonly" in text or "read-only" in text:
            return f"the database {path} cannot be written (read-only file system or file permissions)"
        if "disk" in text and "full" in text:
            return f"the disk holding {path} is full; free some space"
    if "malformed" in text or "not a database" in text or "corrupt" in text:
        return f"the database {path} is damaged ({text}); restore it from backup or re-create it and sync"
    return f"database error in {path}: {text}"
