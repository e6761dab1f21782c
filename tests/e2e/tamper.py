"""What a person with write access to the kiosk's files can do with sqlite3 and a copy of the folder,
written as carefully as an insider would: event rows and their audit entries kept consistent, the
chain recomputed with the kiosk's own formula, the head file beside the database rewritten to match.

Only the standard library and the kiosk's published hash formula: nothing here goes through the kiosk's
code paths (a forger would not)."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

GENESIS = "0" * 64
COPIED = ("", "-wal", "-shm", ".audit-head", ".audit-receipt", ".key")


def entry_hash(entry: dict[str, Any]) -> str:
    material = f"{entry['seq']}|{entry['at']}|{entry['kind']}|{entry['subject']}|{entry['digest']}|{entry['prev_hash']}"
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def event_digest(row: dict[str, Any]) -> str:
    fields = {key: value for key, value in row.items() if key not in ("id", "audit_seq")}
    encoded = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=lambda v: v.hex())
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


@contextmanager
def opened(db: Path) -> Iterator[sqlite3.Connection]:
    with closing(sqlite3.connect(db)) as connection:
        connection.row_factory = sqlite3.Row
        with connection:
            yield connection


def entries(db: Path) -> list[dict[str, Any]]:
    with opened(db) as connection:
        return [dict(row) for row in connection.execute("SELECT * FROM audit_log ORDER BY seq")]


def events(db: Path) -> list[dict[str, Any]]:
    with opened(db) as connection:
        return [dict(row) for row in connection.execute("SELECT * FROM scan_events ORDER BY id")]


def write_head_file(db: Path) -> None:
    chain = entries(db)
    head = {"seq": chain[-1]["seq"], "hash": chain[-1]["hash"]} if chain else {"seq": 0, "hash": GENESIS}
    db.with_name(db.name + ".audit-head").write_text(json.dumps(head), encoding="ascii")


def rewrite_chain(db: Path, chain: list[dict[str, Any]]) -> None:
    """Number `chain` 1..n, recompute every link and hash, point each event row at its entry's new
    place, and rewrite the head file: a chain that verifies on its own."""
    previous = GENESIS
    for seq, entry in enumerate(chain, start=1):
        entry.update(seq=seq, prev_hash=previous)
        entry["hash"] = previous = entry_hash(entry)
    with opened(db) as connection:
        connection.execute("DELETE FROM audit_log")
        for entry in chain:
            connection.execute(
                "INSERT INTO audit_log (seq, at, kind, subject, digest, prev_hash, hash) "
                "VALUES (:seq, :at, :kind, :subject, :digest, :prev_hash, :hash)",
                entry,
            )
            if entry["kind"].startswith("event."):
                connection.execute(
                    "UPDATE scan_events SET audit_seq = ? WHERE event_uuid = ?", (entry["seq"], entry["subject"])
                )
                _point_copy(connection, entry)
    write_head_file(db)


def _point_copy(connection: sqlite3.Connection, entry: dict[str, Any]) -> None:
    """The upload copy of the entry's event (if still pending) names its entry's new place and hash."""
    row = connection.execute("SELECT body FROM outbox WHERE event_uuid = ?", (entry["subject"],)).fetchone()
    if row is None:
        return
    body = json.loads(row["body"])
    body.update(audit_seq=entry["seq"], audit_hash=entry["hash"])
    connection.execute(
        "UPDATE outbox SET body = ? WHERE event_uuid = ?", (json.dumps(body, sort_keys=True), entry["subject"])
    )


# --- the kinds of tampering ----------------------------------------------------------------------------


def edit_event(db: Path, event_uuid: str, **changes: Any) -> None:
    """Change a recorded decision in place (the chain untouched)."""
    assignments = ", ".join(f"{name} = :{name}" for name in changes)
    with opened(db) as connection:
        connection.execute(
            f"UPDATE scan_events SET {assignments} WHERE event_uuid = :uuid", {**changes, "uuid": event_uuid}
        )


def edit_entry(db: Path, seq: int, subject: str) -> None:
    with opened(db) as connection:
        connection.execute("UPDATE audit_log SET subject = ? WHERE seq = ?", (subject, seq))


def delete_entry(db: Path, seq: int) -> None:
    with opened(db) as connection:
        connection.execute("DELETE FROM audit_log WHERE seq = ?", (seq,))


def swap_entries(db: Path, first: int, second: int) -> None:
    with opened(db) as connection:
        connection.execute("UPDATE audit_log SET seq = -1 WHERE seq = ?", (first,))
        connection.execute("UPDATE audit_log SET seq = ? WHERE seq = ?", (first, second))
        connection.execute("UPDATE audit_log SET seq = ? WHERE seq = -1", (second,))


def insert_forged_override(db: Path, after_seq: int, guard_id: int) -> str:
    """A guard override nobody made, credited to a real guard, placed after entry `after_seq` with a
    digest that matches its row; the chain recomputed from there. Returns its event id."""
    rows = events(db)
    model = dict(next(row for row in reversed(rows) if row["kind"] == "scan"))
    forged = {
        **model,
        "event_uuid": str(uuid.uuid4()),
        "kind": "override",
        "verdict": "ADMIT",
        "reason": "ID_CHECKED",
        "persons": 1,
        "guard_id": guard_id,
        "ref_event": model["event_uuid"],
        "note": "identitas diperiksa",
    }
    forged.pop("id")
    chain = entries(db)
    place = next(index for index, entry in enumerate(chain) if entry["seq"] == after_seq) + 1
    forged["audit_seq"] = after_seq + 1
    columns = ", ".join(forged)
    with opened(db) as connection:
        connection.execute(
            f"INSERT INTO scan_events ({columns}) VALUES ({', '.join('?' * len(forged))})", list(forged.values())
        )
        identity = json.loads(
            connection.execute("SELECT value FROM settings WHERE key = 'kiosk.identity'").fetchone()[0]
        )
        copy = {key: value for key, value in forged.items() if key != "code_hash"}
        copy["office_code"] = identity["office_code"]  # audit_seq and audit_hash: set by rewrite_chain
        connection.execute(
            "INSERT INTO outbox (event_uuid, body, created_at, attempts) VALUES (?, ?, ?, 0)",
            (forged["event_uuid"], json.dumps(copy, sort_keys=True), forged["occurred_at"]),
        )
    stored = next(row for row in events(db) if row["event_uuid"] == forged["event_uuid"])
    entry = {
        "at": chain[place - 1]["at"],
        "kind": "event.override",
        "subject": forged["event_uuid"],
        "digest": event_digest(stored),
    }
    chain.insert(place, entry)
    rewrite_chain(db, chain)
    return str(forged["event_uuid"])


def delete_and_recompute(db: Path, seq: int) -> str:
    """Remove entry `seq` and what it stands for (an event row and its outbox row), renumber the rest
    and recompute it: the chain verifies on its own. Returns the entry's subject."""
    chain = entries(db)
    gone = next(entry for entry in chain if entry["seq"] == seq)
    with opened(db) as connection:
        connection.execute("DELETE FROM scan_events WHERE event_uuid = ?", (gone["subject"],))
        connection.execute("DELETE FROM outbox WHERE event_uuid = ?", (gone["subject"],))
    rewrite_chain(db, [entry for entry in chain if entry["seq"] != seq])
    return str(gone["subject"])


def truncate(db: Path, keep_up_to: int) -> None:
    """Cut the chain (and the events it names) after entry `keep_up_to`; rewrite the head file."""
    cut = [entry for entry in entries(db) if entry["seq"] > keep_up_to]
    with opened(db) as connection:
        for entry in cut:
            if entry["kind"].startswith("event."):
                connection.execute("DELETE FROM scan_events WHERE event_uuid = ?", (entry["subject"],))
                connection.execute("DELETE FROM outbox WHERE event_uuid = ?", (entry["subject"],))
        connection.execute("DELETE FROM audit_log WHERE seq > ?", (keep_up_to,))
    write_head_file(db)


def drop_receipts(db: Path) -> None:
    """Remove every trace of the server's receipts (table and file)."""
    with opened(db) as connection:
        connection.execute("DELETE FROM audit_receipts")
    db.with_name(db.name + ".audit-receipt").unlink(missing_ok=True)


def copy_files(db: Path, names: tuple[str, ...], into: Path) -> None:
    into.mkdir(parents=True, exist_ok=True)
    for suffix in names:
        source = db.with_name(db.name + suffix)
        if source.exists():
            shutil.copy2(source, into / source.name)


def put_back(db: Path, names: tuple[str, ...], saved: Path) -> None:
    """Put saved copies back in place of the kiosk's files (those not saved are removed: -wal, -shm)."""
    for suffix in names:
        target = db.with_name(db.name + suffix)
        source = saved / target.name
        if source.exists():
            shutil.copy2(source, target)
        else:
            target.unlink(missing_ok=True)
