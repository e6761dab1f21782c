"""`kiosk sync ...` as the kiosk command delegates it (kiosk/cli/sync.py): --db before or after."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.helpers import Kiosk


@pytest.mark.parametrize(
    "argv",
    [
        ["sync", "enrol", "--db", "{db}", "--server", "http://127.0.0.1:9", "--token", "T" * 20, "--gate", "G1"],
        ["sync", "--db", "{db}", "enrol", "--server", "http://127.0.0.1:9", "--token", "T" * 20, "--gate", "G1"],
        ["--db", "{db}", "sync", "enrol", "--server", "http://127.0.0.1:9", "--token", "T" * 20, "--gate", "G1"],
    ],
    ids=["db-after-the-command", "db-before-the-command", "db-before-the-group"],
)
def test_sync_enrol_as_the_readme_writes_it(db: Path, kiosk_cli: Kiosk, argv: list[str]) -> None:
    """Nothing listens on port 9: the command gets as far as the network, past the command line."""
    result = kiosk_cli(*[part.replace("{db}", str(db)) for part in argv])
    assert result.code == 1
    assert result.err.startswith("error: cannot reach http://127.0.0.1:9: "), result.err


def test_sync_commands_take_db_before_or_after(db: Path, tmp_path: Path, kiosk_cli: Kiosk) -> None:
    for argv in (
        ["sync", "status", "--db", str(db)],
        ["sync", "--db", str(db), "status"],
        ["--db", str(db), "sync", "status"],
        ["sync", "--db", str(tmp_path / "other.db"), "status", "--db", str(db)],  # the last one given counts
    ):
        result = kiosk_cli(*argv)
        assert result.code == 0, (argv, result.err)
        assert result.out.startswith("Not enrolled") and "  outbox_pending: 0\n  outbox_refused: 0\n" in result.out
    assert not (tmp_path / "other.db").exists()
    assert kiosk_cli("sync", "status", "--db", str(db), "--bogus").code == 2
