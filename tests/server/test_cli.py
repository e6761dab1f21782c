"""`kiosk server ...` as an administrator uses it (SQLite; the same functions run on PostgreSQL above):
--db before or after the command, and no traceback when the reader of its output leaves early."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shlex
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import insert

from kiosk.protocol import codes as signed_codes
from kiosk.protocol.keys import Keyring
from kiosk.server import cli
from kiosk.server.cli import main
from kiosk.server.db import make_engine, utc_text, writing
from kiosk.server.models import EventRow


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
    elsewhere = tmp_path / "elsewhere.jsonl"  # a national export naming an office not registered here
    row = {"booking_ref": "R9", "service_date": "2026-12-01", "slot_start": "10:00", "slot_end": "10:30"}
    elsewhere.write_text(
        "\n".join(json.dumps(r) for r in [{**row, "code": "ZZ12CD34EF", "office_code": "NOSUCH"},
                                          {**row, "code": "YY12CD34EF", "booking_ref": "R8", "office_code": "MKS"}])
    )  # fmt: skip
    output = run(capsys, db, "import", str(elsewhere), status=1)  # refused rows are a failure to notice
    assert "1 new" in output and "R9: office NOSUCH is not registered here" in output
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


def test_incidents_and_kiosks_show_a_rolled_back_chain(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from kiosk.protocol.keys import SigningKey
    from kiosk.server import anchor
    from tests.server.test_anchor import Chain

    db = f"sqlite:///{tmp_path / 'server.db'}"
    run(capsys, db, "init")
    run(capsys, db, "office", "add", "JKTSEL", "--zone", "WIB")
    run(capsys, db, "enrol", "--office", "JKTSEL", "--gate", "G1", "--kiosk-id", "K-TEST")
    assert "no incidents" in run(capsys, db, "incidents")
    chain, engine, key = Chain.of(6), make_engine(db), SigningKey.generate("k-x")
    try:
        with writing(engine) as connection:
            anchor.take(connection, "K-TEST", chain.head(), chain.part(1, 6), dt.datetime.now(dt.UTC), key)
        with writing(engine) as connection:
            anchor.take(connection, "K-TEST", chain.upto(4).head(), [], dt.datetime.now(dt.UTC), key)
    finally:
        engine.dispose()
    shown = run(capsys, db, "incidents", "--kiosk", "K-TEST")
    assert "ROLLBACK at entry 5" in shown and "went back from entry 6 to entry 4" in shown
    assert "kept as evidence: 2 entries 5..6" in shown
    listing = run(capsys, db, "kiosks")
    assert "1, last: rollback at entry 5" in listing


# --- --db before or after the command ---------------------------------------------------------------

#: The smallest arguments each command needs besides --db (a command missing here fails the test below).
REQUIRED: dict[tuple[str, ...], list[str]] = {
    ("init",): [],
    ("run",): [],
    ("office", "add"): ["JKTSEL"],
    ("office", "set"): ["JKTSEL"],
    ("office", "list"): [],
    ("import",): ["bookings.csv"],
    ("cancel",): ["--code", "MP7K2Q9T3M"],
    ("enrol",): ["--office", "JKTSEL", "--gate", "G1"],
    ("revoke",): ["K-1"],
    ("kiosks",): [],
    ("incidents",): [],
    ("events",): ["--office", "JKTSEL"],
    ("keys", "list"): [],
    ("keys", "rotate"): [],
    ("keys", "retire"): ["k-1"],
    ("sign-code",): ["--code", "MP7K2Q9T3M"],
    ("openapi",): [],
    ("purge",): [],
    ("user", "add"): ["siti", "--role", "office_admin", "--office", "JKTSEL"],
    ("user", "disable"): ["siti"],
    ("user", "reset"): ["siti"],
    ("user", "list"): [],
}


def commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every command path the server's parser knows (`office add`, `keys rotate`...), groups included."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*prefix, name)
                yield from commands(sub, (*prefix, name))


def test_db_before_or_after_every_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIOSK_SERVER_DB", "sqlite:///from-env.db")
    parser = cli._parser()
    found = list(commands(parser))
    leaves = {path for path in found if not any(other[: len(path)] == path and other != path for other in found)}
    assert leaves == set(REQUIRED), "a command without its arguments in REQUIRED"
    for path in found:
        required = REQUIRED.get(path, [])
        if path not in leaves:  # a group (`office`, `keys`): --db between the group and its action
            action = next(leaf for leaf in sorted(leaves) if leaf[: len(path)] == path)
            tail = [*action[len(path) :], *REQUIRED[action]]
            assert parser.parse_args([*path, "--db", "sqlite:///mid.db", *tail]).db == "sqlite:///mid.db", path
            continue
        assert parser.parse_args(["--db", "sqlite:///before.db", *path, *required]).db == "sqlite:///before.db"
        assert parser.parse_args([*path, *required, "--db", "sqlite:///after.db"]).db == "sqlite:///after.db"
        assert parser.parse_args([*path, "--db", "sqlite:///inside.db", *required]).db == "sqlite:///inside.db"
        assert parser.parse_args([*path, *required]).db == "sqlite:///from-env.db", path  # not overwritten
        both = parser.parse_args(["--db", "sqlite:///group.db", *path, *required, "--db", "sqlite:///own.db"])
        assert both.db == "sqlite:///own.db", path


def test_db_after_the_command_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = f"sqlite:///{tmp_path / 'server.db'}"
    assert main(["init", "--db", db]) == 0
    assert main(["office", "add", "JKTSEL", "--db", db]) == 0
    assert main(["--db", db, "office", "list"]) == 0
    assert main(["office", "--db", db, "list"]) == 0
    assert main(["enrol", "--office", "JKTSEL", "--db", db, "--gate", "G1", "--kiosk-id", "K-AFTER"]) == 0
    assert main(["kiosks", "--db", db]) == 0
    output = capsys.readouterr().out
    assert output.count("JKTSEL") >= 3 and "K-AFTER" in output
    assert not (tmp_path / "kiosk-server.db").exists() and not Path("kiosk-server.db").exists()


def test_enrol_refuses_what_the_columns_cannot_hold(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = f"sqlite:///{tmp_path / 'server.db'}"
    run(capsys, db, "office", "add", "JKTSEL")
    for extra in (["--gate", "G" * 33], ["--label", "L" * 121], ["--kiosk-id", "K" * 65], ["--label", "a\x00b"]):
        assert "error:" in run(capsys, db, "enrol", "--office", "JKTSEL", "--gate", "G1", *extra, status=1)
    assert "(none)" in run(capsys, db, "kiosks")


# --- `| head -1` ------------------------------------------------------------------------------------


def piped(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """`python -m kiosk server ARGV | head -1` through bash, with the command's exit status on stderr."""
    command = " ".join(shlex.quote(part) for part in [sys.executable, "-m", "kiosk", "server", *argv])
    script = f'{command} | head -1; echo "status=${{PIPESTATUS[0]}}" >&2'
    env = {k: v for k, v in os.environ.items() if k != "KIOSK_SERVER_DB"}
    return subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120, check=False
    )


def test_piped_to_head_no_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`kiosk server events ... | head -1`: the reader leaves after one line; the command stops quietly."""
    db = f"sqlite:///{tmp_path / 'server.db'}"
    run(capsys, db, "office", "add", "JKTSEL")
    engine = make_engine(db)
    try:
        stamp = dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC)
        rows = [
            {
                "event_uuid": str(uuid.UUID(int=index)),
                "office_code": "JKTSEL",
                "kiosk_id": "K-PIPE",
                "gate": f"G{index % 3}",
                "kind": "scan",
                "occurred_at": utc_text(stamp + dt.timedelta(seconds=index)),
                "received_at": utc_text(stamp),
                "code_masked": "MP******3M",
                "payload_kind": "booking_code",
                "verdict": "DENY",
                "reason": "UNKNOWN_CODE",
                "persons": 0,
                "facts": "{}",
                "extra": "{}",
                "origin": "upload",
            }
            for index in range(3000)
        ]  # some 500 KB of table: far more than a pipe holds, so the writer meets the closed pipe
        with writing(engine) as connection:
            connection.execute(insert(EventRow), rows)
    finally:
        engine.dispose()
    result = piped(tmp_path, "events", "--office", "JKTSEL", "--limit", "5000", "--db", db)
    assert result.stdout == "office JKTSEL: 3000 event(s)\n", result.stdout[:200]
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr, result.stderr
    assert result.stderr.strip().splitlines()[-1] == f"status={cli.EXIT_BROKEN_PIPE}", result.stderr
    for argv in (["openapi"], ["keys", "list"], ["office", "list"], ["kiosks"]):
        result = piped(tmp_path, *argv, "--db", db)
        assert result.stdout.count("\n") == 1, (argv, result.stdout[:200])
        assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr, (argv, result.stderr)
        assert result.stderr.strip().splitlines()[-1] in ("status=0", f"status={cli.EXIT_BROKEN_PIPE}"), argv


def test_enrolment_tokens_never_begin_with_a_dash() -> None:
    """`kiosk sync enrol --token -abc...` reads the token as an option: one token in 64 did that."""
    from kiosk.server import kiosks

    assert not [token for token in (kiosks.enrolment_token() for _ in range(3000)) if token.startswith("-")]


def test_a_port_in_use_is_one_line_and_a_failure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    db = f"sqlite:///{tmp_path / 'server.db'}"
    run(capsys, db, "init")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out = run(capsys, db, "run", "--port", str(port), "--no-purge", status=1)
    assert out.strip() == (
        f"error: port {port} is in use: another program (another kiosk server?) listens on 127.0.0.1:{port}; "
        "stop it or give --port"
    )
    assert "Traceback" not in out and "Errno" not in out


def test_every_option_of_kiosks_enrol_and_events_has_help() -> None:
    commands = next(a for a in cli._parser()._actions if isinstance(a, argparse._SubParsersAction))
    for name in ("kiosks", "enrol", "events"):
        options = [a for a in commands.choices[name]._actions if a.option_strings and a.dest != "help"]
        assert [a.dest for a in options if not a.help] == [], name
