"""`kiosk audit verify` (kiosk/cli/audit.py): edited events and entries found, a head printed on paper checked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.cli.helpers import CODES, Kiosk, error_line, raw_sql


def test_audit_verify_finds_an_edited_event_and_an_edited_entry(db: Path, kiosk_cli: Kiosk) -> None:
    kiosk_cli("check", "--db", str(db), CODES["cancelled"])
    ok = kiosk_cli("audit", "verify", "--db", str(db))
    assert ok.code == 0
    assert re.fullmatch(r"audit chain OK: \d+ entries, 1 events", ok.out.splitlines()[0])
    assert "not anchored by a server (no receipt)" in ok.out

    raw_sql(db, "UPDATE scan_events SET verdict = 'ADMIT', reason = 'OK'")
    edited = kiosk_cli("audit", "verify", "--db", str(db))
    assert edited.code == 1
    assert re.search(r"event [0-9a-f-]{36} was edited after it was recorded", edited.out)
    first_bad = re.search(r"first bad entry: (\d+)", error_line(edited))
    assert first_bad is not None

    raw_sql(db, "UPDATE audit_log SET subject = 'someone else' WHERE seq = 1")
    both = kiosk_cli("audit", "verify", "--db", str(db))
    assert both.code == 1
    assert "entry 1 was edited (its hash does not match its contents)" in both.out
    assert "first bad entry: 1" in error_line(both)
    assert int(first_bad[1]) > 1


def test_audit_verify_checks_a_head_printed_on_paper(db: Path, kiosk_cli: Kiosk) -> None:
    kiosk_cli("check", "--db", str(db), CODES["admit"])
    ok = kiosk_cli("audit", "verify", "--db", str(db))
    head = re.search(r"^head: entry (\d+), hash ([0-9a-f ]+)$", ok.out, re.MULTILINE)
    assert head is not None
    seq, grouped = int(head[1]), head[2]
    printed = f"{seq}:{grouped[:39]}"  # the first 32 hex digits, in groups of four, as on paper
    matched = kiosk_cli("audit", "verify", "--db", str(db), "--expect", printed)
    assert matched.code == 0 and f"the chain holds the expected head: entry {seq}" in matched.out
    kiosk_cli("check", "--db", str(db), CODES["family"])  # the chain goes on: the head stays in it
    assert kiosk_cli("audit", "verify", "--db", str(db), "--expect", printed).code == 0

    wrong = kiosk_cli("audit", "verify", "--db", str(db), "--expect", f"{seq}:{'0' * 16}")
    assert wrong.code == 1 and f"entry {seq} is not the expected head" in wrong.out
    beyond = kiosk_cli("audit", "verify", "--db", str(db), "--expect", f"{seq + 50}:{grouped[:19]}")
    assert beyond.code == 1 and f"the expected head, entry {seq + 50}, is not in the chain" in beyond.out
    raw_sql(db, f"DELETE FROM audit_log WHERE seq > {seq - 1}")
    raw_sql(db, "DELETE FROM scan_events")
    cut = kiosk_cli("audit", "verify", "--db", str(db), "--expect", printed)
    assert cut.code == 1 and f"the expected head, entry {seq}, is not in the chain" in cut.out


@pytest.mark.parametrize("expect", ["12", "12:abc", "x:0123456789abcdef", "12:0123456789abcdeg"])
def test_audit_verify_explains_a_mistyped_head(db: Path, kiosk_cli: Kiosk, expect: str) -> None:
    result = kiosk_cli("audit", "verify", "--db", str(db), "--expect", expect)
    assert result.code == 2 and error_line(result).startswith("kiosk: error: --expect")
