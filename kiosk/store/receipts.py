"""The server's signed receipts for this kiosk's audit chain, and the entries they are asked for.

A receipt says: the server holds this kiosk's chain up to entry `seq`, whose hash is `hash`, as of
`server_time`, signed with the server's Ed25519 key (the signature is checked above this layer, with
the keys the kiosk pinned: kiosk/sync/anchoring.py). The kiosk keeps them in two places:

* the table `audit_receipts` in the database file (pruned to the newest few hundred and the last of
  each earlier day);
* the newest one in the file `kiosk.db.audit-receipt` beside it, moved only forward. Putting an older
  copy of the database back does not take this file with it, so `audit verify` sees the chain end
  below what the server already anchored.

Receipts are not audit entries themselves: an entry per receipt would leave a new unanchored entry
after every sync.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select

from kiosk.store.schema import AuditReceiptRow, AuditRow

#: Receipts kept in full; older ones are thinned to the last of each day.
KEEP_NEWEST = 200
_FIELDS = ("kiosk_id", "seq", "hash", "server_time", "key_id", "signature")


@dataclass(frozen=True, slots=True)
class Receipt:
    kiosk_id: str
    seq: int
    hash: str
    server_time: str
    key_id: str
    signature: str

    @classmethod
    def of(cls, data: Any) -> Receipt:
        """From a row or a mapping; raises ValueError/KeyError/TypeError on anything else."""
        get = data.get if isinstance(data, dict) else lambda name: getattr(data, name)
        values = {name: get(name) for name in _FIELDS}
        seq = values.pop("seq")
        if not isinstance(seq, int) or isinstance(seq, bool) or not all(isinstance(v, str) for v in values.values()):
            raise TypeError("a receipt field has the wrong type")
        return cls(
            kiosk_id=str(values["kiosk_id"]),
            seq=seq,
            hash=str(values["hash"]),
            server_time=str(values["server_time"]),
            key_id=str(values["key_id"]),
            signature=str(values["signature"]),
        )

    @property
    def day(self) -> str:
        return self.server_time[:10]


# --- the table --------------------------------------------------------------------------------------


def keep(connection: Connection, receipt: Receipt, now: dt.datetime) -> None:
    """Store a receipt (the caller checked its signature and that the chain holds its entry)."""
    connection.execute(insert(AuditReceiptRow).values(**asdict(receipt), received_at=now.isoformat()))
    _thin(connection)


def stored(connection: Connection) -> list[Receipt]:
    """Every receipt kept, newest first."""
    rows = connection.execute(select(AuditReceiptRow).order_by(AuditReceiptRow.seq.desc(), AuditReceiptRow.id.desc()))
    return [Receipt.of(row) for row in rows]


def _thin(connection: Connection) -> None:
    newest = select(AuditReceiptRow.id).order_by(AuditReceiptRow.id.desc()).limit(KEEP_NEWEST)
    last_of_day = select(func.max(AuditReceiptRow.id)).group_by(func.substr(AuditReceiptRow.server_time, 1, 10))
    connection.execute(
        delete(AuditReceiptRow).where(AuditReceiptRow.id.not_in(newest), AuditReceiptRow.id.not_in(last_of_day))
    )


# --- the file beside the database -------------------------------------------------------------------


def receipt_path_for(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".audit-receipt")


def read_file(path: Path) -> Receipt | str | None:
    """The newest receipt from the file: None when there is none, a sentence when it is unreadable."""
    try:
        return Receipt.of(json.loads(path.read_text(encoding="ascii")))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return f"the receipt file {path} is unreadable ({type(exc).__name__})"


def write_file(path: Path, receipt: Receipt) -> None:
    """Replace the file with a newer receipt; never with an older one (that would hide a rollback)."""
    current = read_file(path)
    if isinstance(current, Receipt) and current.seq > receipt.seq:
        return
    temporary = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        temporary.write_text(json.dumps(asdict(receipt), sort_keys=True), encoding="ascii")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


# --- what the upload sends --------------------------------------------------------------------------


def entries(connection: Connection, start: int, until: int, limit: int) -> list[dict[str, Any]]:
    """Audit entries start..until (at most `limit`), oldest first, as stored."""
    rows = connection.execute(
        select(AuditRow).where(AuditRow.seq >= start, AuditRow.seq <= until).order_by(AuditRow.seq).limit(limit)
    )
    return [
        {
            "seq": row.seq,
            "at": row.at,
            "kind": row.kind,
            "subject": row.subject,
            "digest": row.digest,
            "prev_hash": row.prev_hash,
            "hash": row.hash,
        }
        for row in rows
    ]


def hashes(connection: Connection, seqs: Iterable[int]) -> dict[int, str]:
    wanted = list(seqs)
    if not wanted:
        return {}
    rows = connection.execute(select(AuditRow.seq, AuditRow.hash).where(AuditRow.seq.in_(wanted)))
    return {row.seq: row.hash for row in rows}


def first_after(connection: Connection, seq: int) -> tuple[int, str] | None:
    """How many entries come after `seq`, and the time of the first of them (None when none do)."""
    count, first_at = connection.execute(
        select(func.count(AuditRow.seq), func.min(AuditRow.at)).where(AuditRow.seq > seq)
    ).one()
    return None if not count else (int(count), str(first_at))
