"""The tamper suite (issue 13): every kind of tampering an insider with write access can do, run
against a kiosk enrolled with a real server on loopback (SQLite and PostgreSQL), through the commands
the office uses: `kiosk check` (online check across gates, which pins the audit head at the server),
`kiosk sync now` (uploads events and audit entries, keeps the signed receipt), `kiosk audit verify`.

Each case says where it is caught: locally (`kiosk audit verify` fails), at the next sync (the server
records an incident of that kind, `kiosk sync now` says so and exits 1), or both. The table is
docs/audit.md's, which also says what is not caught and why.

Every kiosk has the same history before it is tampered with: three scans (one a DENY the guard
overrides), a sync that anchors all of it (entry A is the newest anchored), then two more scans whose
online checks pin heads A and A+1 at the server, not yet uploaded."""

from __future__ import annotations

import io
import json
import re
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from kiosk import cli
from kiosk.server import anchor
from kiosk.server.db import reading
from kiosk.server.models import EventRow, KioskRow
from kiosk.store.db import KioskStore
from kiosk.store.guard_actions import override
from tests.e2e import tamper
from tests.server.support import Admin, ServerProcess, booking, codes, now

GUARD_PIN = "731905"


@dataclass
class Scene:
    """A kiosk with its history, ready to be tampered with."""

    folder: Path
    db: Path
    config: Path
    anchored: int
    guard_id: int
    denied: str
    override_seq: int
    before_sync: Path
    folder_before_sync: Path
    run: Callable[..., tuple[int, str, str]]

    def kiosk(self, *args: str) -> tuple[int, str, str]:
        return self.run(*args, "--db", str(self.db), "--config", str(self.config))

    def verify(self) -> tuple[int, str]:
        code, out, _ = self.kiosk("audit", "verify")
        return code, out

    def sync(self) -> tuple[int, str]:
        code, _, err = self.run("sync", "now", "--db", str(self.db), "--config", str(self.config))
        return code, err


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., tuple[int, str, str]]:
    def kiosk(*args: str, stdin: str = "") -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode()), encoding="utf-8"))
        code = cli.main(list(args))
        captured = capsys.readouterr()
        assert "Traceback" not in captured.err, captured.err
        return code, captured.out, captured.err

    return kiosk


def make_scene(
    server: ServerProcess, admin: Admin, tmp_path: Path, run: Callable[..., tuple[int, str, str]]
) -> tuple[Scene, str]:
    office = admin.office()
    booked = codes("TP", 4)
    admin.load([booking(code, f"{office}-T{i}", office) for i, code in enumerate(booked)])
    folder = tmp_path / "kiosk"
    folder.mkdir()
    config = tmp_path / "kiosk.toml"
    config.write_text("[online]\ncheck = true\nbudget_ms = 2000\n", encoding="utf-8")
    db = folder / "kiosk.db"
    scene = Scene(folder, db, config, 0, 0, "", 0, tmp_path / "db-before-sync", tmp_path / "folder-before-sync", run)
    token = admin.enrol(office, "G1")
    code, out, err = run("sync", "enrol", "--db", str(db), "--server", server.url, f"--token={token}", "--gate", "G1")
    assert code == 0, err
    assert scene.sync()[0] == 0  # the bookings
    code, out, err = run("guard", "add", "Sari", "--db", str(db), "--pin-stdin", stdin=f"{GUARD_PIN}\n")
    assert code == 0, err
    scene.guard_id = int(re.search(r"\(id (\d+)\)", out)[1])  # type: ignore[index]
    assert "ADMIT" in scene.kiosk("check", booked[0])[1]
    denied = scene.kiosk("check", "NOSUCHCODE7")
    assert "DENY" in denied[1]
    scene.denied = re.search(r"recorded as event ([0-9a-f-]{36})", denied[1])[1]  # type: ignore[index]
    with KioskStore.open(db) as store:
        override(store, scene.denied, scene.guard_id, "ID_CHECKED", now(), "KTP diperiksa")
    assert "ADMIT" in scene.kiosk("check", booked[1])[1]
    tamper.copy_files(db, ("", "-wal", "-shm"), scene.before_sync)
    shutil.copytree(folder, scene.folder_before_sync)
    assert scene.sync() == (0, "")
    code, out = scene.verify()
    assert code == 0 and "every entry is anchored" in out, out
    scene.anchored = tamper.entries(db)[-1]["seq"]
    scene.override_seq = next(e["seq"] for e in tamper.entries(db) if e["kind"] == "event.override")
    for code_text in booked[2:]:
        assert "ADMIT" in scene.kiosk("check", code_text)[1]
    assert len(tamper.entries(db)) == scene.anchored + 2
    code, out = scene.verify()
    assert code == 0 and "2 entries not yet anchored" in out, out
    return scene, office


def incidents_of(admin: Admin, office: str) -> list[str]:
    with reading(admin.engine) as connection:
        kiosk_id = connection.execute(select(KioskRow.kiosk_id).where(KioskRow.office_code == office)).scalar_one()
        return [row.kind for row in anchor.incidents(connection, kiosk_id)]


def server_verdict(admin: Admin, event_uuid: str) -> str:
    with reading(admin.engine) as connection:
        return str(connection.execute(select(EventRow.verdict).where(EventRow.event_uuid == event_uuid)).scalar_one())


# --- the table -----------------------------------------------------------------------------------------

Tamper = Callable[[Scene], None]


def edit_event(scene: Scene) -> None:
    tamper.edit_event(scene.db, scene.denied, verdict="ADMIT", reason="OK", persons=1)


def edit_entry(scene: Scene) -> None:
    tamper.edit_entry(scene.db, scene.anchored + 1, "someone else")


def delete_entry(scene: Scene) -> None:
    tamper.delete_entry(scene.db, scene.anchored + 1)


def reorder(scene: Scene) -> None:
    tamper.swap_entries(scene.db, scene.anchored + 1, scene.anchored + 2)


def insert_anchored(scene: Scene) -> None:
    tamper.insert_forged_override(scene.db, scene.anchored - 2, scene.guard_id)


def insert_unanchored(scene: Scene) -> None:
    tamper.insert_forged_override(scene.db, scene.anchored, scene.guard_id)


def truncate_unanchored(scene: Scene) -> None:
    tamper.truncate(scene.db, scene.anchored)


def truncate_anchored(scene: Scene) -> None:
    tamper.truncate(scene.db, scene.anchored - 2)


def recompute(scene: Scene) -> None:
    tamper.delete_and_recompute(scene.db, scene.override_seq)


def recompute_and_drop_receipts(scene: Scene) -> None:
    tamper.delete_and_recompute(scene.db, scene.override_seq)
    tamper.drop_receipts(scene.db)


def append_unsendable(scene: Scene) -> None:
    """An entry at the end that the upload cannot carry (a subject of 129 characters), correct hashes:
    a forger's way to stop the chain being anchored from there on (review finding 1)."""
    chain = tamper.entries(scene.db)
    chain.append({"at": chain[-1]["at"], "kind": "guard.login", "subject": "g" * 129, "digest": "0" * 64})
    tamper.rewrite_chain(scene.db, chain)


def roll_back_database(scene: Scene) -> None:
    tamper.put_back(scene.db, ("", "-wal", "-shm"), scene.before_sync)


def roll_back_folder(scene: Scene) -> None:
    shutil.rmtree(scene.folder)
    shutil.copytree(scene.folder_before_sync, scene.folder)


#: (what was done, how, caught by `kiosk audit verify`, the server's incident at the next sync or None)
CASES: list[tuple[str, Tamper, bool, str | None]] = [
    ("edit a recorded decision (anchored)", edit_event, True, None),
    ("edit an entry (not yet anchored)", edit_entry, True, anchor.BROKEN),
    ("delete an entry (not yet anchored)", delete_entry, True, anchor.BROKEN),
    ("reorder two entries (not yet anchored)", reorder, True, anchor.BROKEN),
    ("insert a forged override, correct hashes (anchored part)", insert_anchored, True, anchor.FORK),
    ("insert a forged override, correct hashes (not yet anchored)", insert_unanchored, False, anchor.REWRITE),
    ("truncate what is not yet anchored, head file rewritten", truncate_unanchored, False, anchor.ROLLBACK),
    # the kiosk may write on after it (a booking-file check at open): then the server sees a fork there
    (
        "truncate into the anchored part, head file rewritten",
        truncate_anchored,
        True,
        f"{anchor.ROLLBACK}|{anchor.FORK}",
    ),
    ("delete an override and recompute the chain", recompute, True, anchor.FORK),
    ("delete an override, recompute, remove the receipts", recompute_and_drop_receipts, False, anchor.FORK),
    ("append an entry the upload cannot carry, correct hashes", append_unsendable, True, anchor.BROKEN),
    ("roll back the database file to a copy before the sync", roll_back_database, True, anchor.ROLLBACK),
    ("roll back the whole folder to a copy before the sync", roll_back_folder, False, anchor.ROLLBACK),
]


@pytest.mark.parametrize(("what", "how", "local", "at_sync"), CASES, ids=[case[0] for case in CASES])
def test_tampering_is_caught(
    calm_server: ServerProcess,
    admin: Admin,
    tmp_path: Path,
    run: Callable[..., tuple[int, str, str]],
    what: str,
    how: Tamper,
    local: bool,
    at_sync: str | None,
) -> None:
    scene, office = make_scene(calm_server, admin, tmp_path, run)
    how(scene)

    code, out = scene.verify()
    assert (code != 0) is local, f"{what}: audit verify said\n{out}"
    if local:
        assert "audit chain BROKEN" in out

    if how is truncate_unanchored:  # a head reported this recently may still be on its way (PIN_SETTLE_S)
        calm_server.faults(rules=[], rate=0.0, clock_shift_s=anchor.PIN_SETTLE_S + 60)
    code, err = scene.sync()
    found = incidents_of(admin, office)
    if at_sync is None:
        assert (code, found) == (0, []), err
        assert server_verdict(admin, scene.denied) == "DENY"  # the server keeps the decision as uploaded
    else:
        assert found and found[0] in at_sync.split("|"), f"{what}: the server recorded {found}"
        assert code == 1 and "the server found this kiosk's audit chain altered" in err
    assert local or at_sync is not None, f"{what} is caught nowhere"


def test_a_booking_file_put_back_sends_every_code_to_the_officer_until_the_sync(
    calm_server: ServerProcess, admin: Admin, tmp_path: Path, run: Callable[..., tuple[int, str, str]]
) -> None:
    """The last row of the table: an older `kiosk.bookings.db` brings a cancelled booking back to life
    unless the database file's anchor of it (feed cursor) says it is old."""
    scene, office = make_scene(calm_server, admin, tmp_path, run)
    bookings = scene.db.with_name("kiosk.bookings.db")
    (cancelled,) = codes("TB", 1)
    admin.load([booking(cancelled, f"{office}-TB", office)])
    assert scene.sync()[0] == 0
    assert "ADMIT" in scene.kiosk("check", cancelled, "--dry-run")[1]
    tamper.copy_files(bookings, ("", "-wal", "-shm"), tmp_path / "old-bookings")
    admin.cancel(cancelled)
    assert scene.sync()[0] == 0
    assert "DENY" in scene.kiosk("check", cancelled, "--dry-run")[1]
    tamper.put_back(bookings, ("", "-wal", "-shm"), tmp_path / "old-bookings")

    decided = scene.kiosk("check", cancelled, "--dry-run")[1]
    assert "REFER" in decided and "ADMIT" not in decided
    assert "REFER" in scene.kiosk("check", "NOSUCHCODE8", "--dry-run")[1]
    status = scene.kiosk("db", "status")[1]
    assert "OLDER than this database last saw" in status
    assert "feed.rolled_back" in {entry["kind"] for entry in tamper.entries(scene.db)}
    assert scene.verify()[0] == 0  # the chain itself is intact: the booking file is not in it

    assert scene.sync()[0] == 0  # the sync resumes from the old cursor and repairs the file
    assert "DENY" in scene.kiosk("check", cancelled, "--dry-run")[1]
    assert "OLDER" not in scene.kiosk("db", "status")[1]


def test_a_changed_upload_copy_is_never_sent(
    calm_server: ServerProcess, admin: Admin, tmp_path: Path, run: Callable[..., tuple[int, str, str]]
) -> None:
    """The outbox holds a copy of each event for the upload; the chain covers the event, not the copy.
    A copy changed by hand (review finding 3) is named by `audit verify` and never sent: it is kept,
    refused, for IT, with an audit entry; the server keeps what the gate decided."""
    scene, _office = make_scene(calm_server, admin, tmp_path, run)
    last = tamper.events(scene.db)[-1]
    with tamper.opened(scene.db) as connection:
        body = json.loads(
            connection.execute("SELECT body FROM outbox WHERE event_uuid = ?", (last["event_uuid"],)).fetchone()[0]
        )
        body.update(verdict="DENY", reason="CANCELLED", persons=0)
        connection.execute("UPDATE outbox SET body = ? WHERE event_uuid = ?", (json.dumps(body), last["event_uuid"]))

    code, out = scene.verify()
    assert code == 1 and f"the upload copy of event {last['event_uuid']} will not be sent" in out
    assert scene.sync()[0] == 0
    assert server_verdict(admin, last["event_uuid"]) == "ADMIT"  # the online check's record stands
    with tamper.opened(scene.db) as connection:
        refused = connection.execute(
            "SELECT refused_reason FROM outbox WHERE event_uuid = ?", (last["event_uuid"],)
        ).fetchone()[0]
    assert "says something else than the recorded event" in refused
    assert any(e["kind"] == "sync.refused" and e["subject"] == last["event_uuid"] for e in tamper.entries(scene.db))
