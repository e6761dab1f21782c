"""What every request needs (the engine, the page size, the clock), shared by the API (app.py) and the
fault-injection layer the drills put in front of it (faults.py), which import this and not each other."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Engine

from kiosk.protocol.wire import sign_page
from kiosk.server import feed, keys
from kiosk.server.db import reading


@dataclass
class ServerContext:
    """What every request needs: the engine, the page size, and the clock (shiftable in fault mode)."""

    engine: Engine
    page_limit: int = feed.DEFAULT_LIMIT
    clock_shift: dt.timedelta = field(default_factory=dt.timedelta)

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self.clock_shift

    def sign_page(self, body: bytes, known: list[str]) -> dict[str, str]:
        with reading(self.engine) as connection:
            return sign_page(keys.signer_for(connection, known), body)
