"""`kiosk server ...` as an administrator uses it (SQLite; the same functions run on PostgreSQL above)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiosk.protocol import codes as signed_codes
from kiosk.protocol.keys import Keyring
from kiosk.server.cli import main


def run(capsys: pytest.CaptureFixture[str], db: str, *argv: str, status: int = 0) -> str:
    assert main(["--db", db, *argv]) == status
    captured = capsys.readouterr()
    return captured.out + captured.err


def test_admin_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = f"sqlite:///{tmp_path / 'server.db'}"
    assert "ready" in run(capsys, db, "init")
    assert "JKTSEL added" in run(capsys, db, "office", "add", "jktsel", "--zone", "WIB", "--signed-codes")
    assert "error" in run(capsys, db, "office", "add", "JKTSEL", status=1)
    assert "error" in run(capsys, db, "office", "add", "MKS", "--zone", "Europe/Paris", status=1)
    run(capsys, db, "office", "add", "MKS", "--zone", "WITA", "--rules", '{"early_minutes": 15}')
    export = tmp_path / "bookings.jsonl"
    export.write_text(
        "\n".join(
            json.dumps(row)
            for row in [
                {
                    "code": "MP7K2Q9T3M",
                    "booking_ref": "R1",
                    "office_code": "JKTSEL",
                    "service_date": "2026-12-01",
                    "slot_start": "10:00",
                    "slot_end": "10:30",
                    "display_name": "Budi",
                    "nik_last4": "1234",
                },
                {
                    "code": "AB12CD34EF",
                    "booking_ref": "R2",
                    "office_code": "MKS",
                    "service_date": "2026-12-01",
                    "slot_start": "10:00",
                    "slot_end": "10:30",
                    "party_size": 3,
                },
                {"code": "bad", "booking_ref": "R3", "office_code": "MKS"},
            ]
        )
    )
    output = run(capsys, db, "import", str(export), status=1)  # one line refused
    assert "2 new" in output and "line 3" in output
    listing = run(capsys, db, "office", "list")
    assert "JKTSEL" in listing and "Asia/Makassar" in listing
    assert "rules" not in run(capsys, db, "office", "set", "MKS", "--rules", '{"late_minutes": 30}')
    enrolment = run(capsys, db, "enrol", "--office", "JKTSEL", "--gate", "G1", "--kiosk-id", "K-TEST")
    assert "K-TEST" in enrolment and "kiosk sync enrol" in enrolment
    kiosks = run(capsys, db, "kiosks")
    assert "K-TEST" in kiosks and "pending" in kiosks and "never" in kiosks
    signed = run(capsys, db, "sign-code", "--code", "mp7k-2q9t-3m")
    text = signed.splitlines()[0]
    assert text.startswith("KS1.") and "QR version 7 at error correction M" in signed
    keys_listing = run(capsys, db, "keys", "list")
    key_id, public = keys_listing.splitlines()[1].split()[0], keys_listing.splitlines()[1].split()[-1]
    verified = signed_codes.verify(text, Keyring.from_texts([(key_id, public)]))
    assert verified is not None and verified.fields.booking_ref == "R1"
    assert "new active key" in run(capsys, db, "keys", "rotate")
    assert "error" in run(capsys, db, "keys", "retire", "nope", status=1)
    assert "retired" in run(capsys, db, "keys", "retire", key_id)
    assert "cancelled" in run(capsys, db, "cancel", "--code", "MP7K2Q9T3M")
    assert "revoked" in run(capsys, db, "revoke", "K-TEST")
    assert "already revoked" in run(capsys, db, "revoke", "K-TEST", status=1)
    assert "0 event(s)" in run(capsys, db, "events", "--office", "JKTSEL")
    spec = tmp_path / "openapi.json"
    run(capsys, db, "openapi", "--out", str(spec))
    assert "/v1/bookings" in json.loads(spec.read_text())["paths"]
    assert main([]) == 2
