"""store.settings: who this kiosk is, the office's rules, and the sync state, as every scan reads them.

Its own part because the settings every scan needs are parsed once per change and cached on the
store (current()); every part that decides or changes them goes through here."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, insert, select, update

from kiosk.domain.model import OfficeRules
from kiosk.store import audit, feed_anchor, settings
from kiosk.store.errors import StoreError
from kiosk.store.feed_state import Anchor
from kiosk.store.parts import Part
from kiosk.store.schema import SyncStateRow
from kiosk.store.times import to_text

SYNC_ENROLLED = "sync.enrolled"
#: Set when the booking file was found missing and made again empty: {"at": when}. Until bookings
#: are imported again, unknown codes go to the officer (STALE_DATA) instead of being denied as not
#: registered: the kiosk knows its list is incomplete. (An enrolled kiosk refers them anyway until
#: its next full download: its data has no age.)
FEED_LOST = "feed.lost"
#: The office directory the server sent (every office's full name, code -> name; public information):
#: {"names": {...}}. Replaced whenever a page brings one (kiosk/sync/apply.py).
OFFICE_DIRECTORY = "office.directory"
#: Full names set here (`kiosk setup --office-name`, for a kiosk without a server): {code: name}. The
#: server's directory wins for an office it names.
OFFICE_NAMES = "office.names"
#: At most this many characters of an office's name (the wire's bound, kiosk/protocol/schema.py).
MAX_OFFICE_NAME_CHARS = 120
_SETTINGS_KEYS = (
    settings.RULES_KEY,
    settings.IDENTITY_KEY,
    SYNC_ENROLLED,
    FEED_LOST,
    feed_anchor.ANCHOR_KEY,
    feed_anchor.NOTED_KEY,
)


@dataclass(frozen=True, slots=True)
class CurrentSettings:
    rules: OfficeRules
    identity: settings.Identity
    enrolled: bool
    feed_lost: bool = False
    #: How far the booking file has been seen to be (store/feed_anchor.py).
    booking_anchor: Anchor = field(default_factory=Anchor)
    #: The booking file was found wrong and is not repaired yet (feed_anchor.NOTED_KEY).
    bookings_reported: bool = False


class Settings(Part):
    """The kiosk's identity, the office's rules and the sync state (store.settings)."""

    __slots__ = ()

    def rules(self) -> OfficeRules:
        with self._store.reading() as connection:
            return self.current(connection).rules

    def identity(self) -> settings.Identity:
        with self._store.reading() as connection:
            return self.current(connection).identity

    def configure(self, identity: settings.Identity, rules: OfficeRules, now: dt.datetime) -> None:
        """Set who this kiosk is and the office's rules; audited, since rules change what gets in."""
        if rules.office_code != identity.office_code:
            raise StoreError("the office rules are for another office than the kiosk's")
        try:  # the same checks as for stored rules: what is written here must be readable at every scan
            settings.rules_from_json(settings.rules_to_json(rules))
            settings.identity_from_json(settings.identity_to_json(identity))
        except ValueError as exc:
            raise StoreError(f"invalid office settings: {exc}") from exc
        with self._store.writing() as connection:
            settings.put(connection, settings.IDENTITY_KEY, settings.identity_to_json(identity))
            settings.put(connection, settings.RULES_KEY, settings.rules_to_json(rules))
            digest = audit.canonical_digest(
                {"identity": settings.identity_to_json(identity), "rules": settings.rules_to_json(rules)}
            )
            audit.append(connection, to_text(now), "settings", "office", digest)
        self.forget()
        self._store.audit.write_anchor()

    def office_names(self) -> dict[str, str]:
        """Every office's full name this kiosk knows: code -> name (the server's directory over the
        names set by `kiosk setup --office-name`). An office missing here is shown by its code."""
        with self._store.reading() as connection:
            return office_names(connection)

    def office_name(self) -> str:
        """This kiosk's office's full name; "" when none is known."""
        with self._store.reading() as connection:
            code = self.current(connection).identity.office_code
            return office_names(connection).get(code, "")

    def set_office_name(self, office_code: str, name: str, now: dt.datetime) -> str:
        """Set (or with "" remove) an office's full name here, audited; returns it as stored (one line,
        single spaces). For a kiosk without a server; a server's name for the office wins."""
        return self.set_office_names({office_code: name}, now)[office_code]

    def set_office_names(self, names: Mapping[str, str], now: dt.datetime) -> dict[str, str]:
        """Set (or with "" remove) offices' full names here: one audited change, none when nothing
        changes. Returns the names as stored."""
        try:
            cleaned = {code: clean_office_name(name) for code, name in names.items()}
        except ValueError as exc:
            raise StoreError(str(exc)) from None
        with self._store.writing() as connection:
            before = _names(settings.get(connection, OFFICE_NAMES))
            local = {**before, **cleaned}
            local = {code: name for code, name in local.items() if name}
            if local == before and settings.get(connection, OFFICE_NAMES) is not None:
                return cleaned
            settings.put(connection, OFFICE_NAMES, local)
            audit.append(connection, to_text(now), "settings", "office.names", audit.canonical_digest(local))
        self._store.audit.write_anchor()
        return cleaned

    def set_sync_state(self, *, durable: bool = True, **values: Any) -> None:
        """Update the sync state row (in the feed's file). `durable=False`: no flush before it returns;
        for notes such as the last attempt's time and error, which a power cut may take back."""
        with self._store.feed_writing(durable=durable) as connection:
            exists = connection.execute(select(SyncStateRow.id).where(SyncStateRow.id == 1)).first()
            if exists:
                connection.execute(update(SyncStateRow).where(SyncStateRow.id == 1).values(**values))
            else:
                connection.execute(insert(SyncStateRow).values(id=1, **values))

    def current(self, connection: Connection) -> CurrentSettings:
        """Rules, identity and enrolment as stored now. Parsed once per change: every call reads the raw
        JSON (one small query, so a change made by another program is seen at the next scan) and only
        parses it again when it differs from the last time."""
        store = self._store
        raw = settings.raw_values(connection, _SETTINGS_KEYS)
        cached = store._settings_cache
        if cached is not None and cached[0] == raw:
            return cached[1]
        rules_text, identity_text, enrolled_text, lost_text, anchor_text, noted_text = raw
        try:
            identity = settings.identity_from_json(_json(identity_text))
            rules_data = _json(rules_text)
            rules = (
                settings.rules_from_json(rules_data) if rules_data else OfficeRules(office_code=identity.office_code)
            )
            enrolled = bool(_json(enrolled_text))
            feed_lost = bool(_json(lost_text))
            anchor = Anchor.from_json(_json(anchor_text))
        except ValueError as exc:
            raise StoreError(f"the stored office settings are invalid ({exc}); configure the kiosk again") from exc
        parsed = CurrentSettings(rules, identity, enrolled, feed_lost, anchor, noted_text is not None)
        store._settings_cache = (raw, parsed)
        return parsed

    def forget(self) -> None:
        """After a change of the settings: current() parses them again."""
        self._store._settings_cache = None


def clean_office_name(name: str) -> str:
    """An office's name as kept: one line, single spaces; "" for none. Raises ValueError when it is too
    long or holds characters a screen must not show (control characters, bidi overrides)."""
    name = " ".join(name.split())
    if len(name) > MAX_OFFICE_NAME_CHARS or not name.isprintable() or _BIDI.search(name):
        raise ValueError(f"an office's name is one line of at most {MAX_OFFICE_NAME_CHARS} printable characters")
    return name


_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")


def office_names(connection: Connection) -> dict[str, str]:
    """The server's directory over the names set here (see Settings.office_names())."""
    return {**_names(settings.get(connection, OFFICE_NAMES)), **held_directory(connection)}


def held_directory(connection: Connection) -> dict[str, str]:
    """The office directory the server last sent ({} when none)."""
    stored = settings.get(connection, OFFICE_DIRECTORY)
    return _names(stored.get("names") if isinstance(stored, dict) else None)


def put_directory(connection: Connection, names: dict[str, str], now: dt.datetime) -> bool:
    """Keep the server's office directory (in the caller's transaction), audited when it changed.
    Returns whether it did."""
    if held_directory(connection) == names and settings.get(connection, OFFICE_DIRECTORY) is not None:
        return False
    settings.put(connection, OFFICE_DIRECTORY, {"names": names})
    audit.append(connection, to_text(now), "settings", "offices", audit.canonical_digest(names))
    return True


def _names(value: Any) -> dict[str, str]:
    """A stored code -> name mapping; anything else (a damaged cell) is no names: names are only shown."""
    if not isinstance(value, dict):
        return {}
    return {str(code): name for code, name in value.items() if isinstance(name, str) and name}


def _json(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except (TypeError, ValueError) as exc:  # JSONDecodeError is a ValueError; a damaged cell may not be text
        raise ValueError(f"not JSON: {exc}") from exc
