"""`kiosk guard ...` (kiosk/cli/guard.py): guards added, listed, disabled, enabled; PIN mistakes and lockout."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.cli import guard
from tests.cli.helpers import PIN, Kiosk, error_line


def test_guards_are_added_listed_disabled_and_enabled(db: Path, kiosk_cli: Kiosk) -> None:
    assert kiosk_cli("guard", "list", "--db", str(db)).out.startswith("no guards yet")
    added = kiosk_cli("guard", "add", "Wayan", "--db", str(db), stdin=f"{PIN}\n{PIN}\n".encode())
    assert (added.code, added.out.strip()) == (0, "added guard Wayan (id 1)")
    assert kiosk_cli("guard", "add", "Made", "--db", str(db), "--pin-stdin", stdin=b"730264\n").code == 0
    listing = kiosk_cli("guard", "list", "--db", str(db)).out.splitlines()
    assert listing[0].split() == ["NAME", "STATE", "FAILED", "PINS", "ADDED"]
    assert [line.split()[:2] for line in listing[1:]] == [["Made", "active"], ["Wayan", "active"]]
    assert kiosk_cli("guard", "disable", "Wayan", "--db", str(db)).out.strip() == "guard Wayan is now disabled"
    assert "disabled" in kiosk_cli("guard", "list", "--db", str(db)).out.splitlines()[2]
    refused = kiosk_cli("guard", "verify", "Wayan", "--db", str(db), stdin=f"{PIN}\n".encode())
    assert error_line(refused) == "kiosk: error: this guard is disabled"
    assert kiosk_cli("guard", "enable", "Wayan", "--db", str(db)).out.strip() == "guard Wayan is now enabled"
    assert kiosk_cli("guard", "verify", "Wayan", "--db", str(db), stdin=f"{PIN}\n".encode()).out == "PIN OK for Wayan\n"


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["add", "Wayan"], f"{PIN}\n{PIN}\n", "a guard named 'Wayan' already exists"),
        (["add", "Made"], "123456\n", "this PIN is too easy to guess"),
        (["add", "Made"], "12ab56\n", "a PIN is digits only"),
        (["add", "Made"], f"{PIN}\n730264\n", "the two PINs differ"),
        (["add", "Made"], "", "no PIN on standard input"),
        (["verify", "Wayan"], "730264\n", "wrong PIN (4 tries left)"),
        (["verify", "Nobody"], f"{PIN}\n", "no guard named 'Nobody'"),
        (["disable", "Nobody"], "", "no guard named 'Nobody'"),
    ],
)
def test_guard_mistakes_are_one_line(db: Path, kiosk_cli: Kiosk, args: list[str], stdin: str, message: str) -> None:
    kiosk_cli("guard", "add", "Wayan", "--db", str(db), stdin=f"{PIN}\n".encode())
    result = kiosk_cli("guard", *args, "--db", str(db), stdin=stdin.encode())
    assert result.code == 1
    assert error_line(result).startswith(f"kiosk: error: {message}")


def test_a_guard_is_locked_out_after_five_wrong_pins(db: Path, kiosk_cli: Kiosk) -> None:
    kiosk_cli("guard", "add", "Wayan", "--db", str(db), stdin=f"{PIN}\n".encode())
    for _ in range(5):
        kiosk_cli("guard", "verify", "Wayan", "--db", str(db), stdin=b"730264\n")
    result = kiosk_cli("guard", "verify", "Wayan", "--db", str(db), stdin=f"{PIN}\n".encode())
    assert "too many wrong PINs; locked until" in error_line(result)
    assert kiosk_cli("guard", "list", "--db", str(db)).out.splitlines()[1].split()[1] == "locked"


def test_guard_add_asks_twice_on_a_terminal(db: Path, kiosk_cli: Kiosk, monkeypatch: pytest.MonkeyPatch) -> None:
    answers = [PIN, "730264", PIN, PIN]
    prompts: list[str] = []

    def typed(prompt: str) -> str:
        prompts.append(prompt)
        return answers.pop(0)

    monkeypatch.setattr(guard, "stdin_is_terminal", lambda: True)
    monkeypatch.setattr("getpass.getpass", typed)
    result = kiosk_cli("guard", "add", "Wayan", "--db", str(db))
    assert error_line(result) == "kiosk: error: the two PINs differ; nothing was changed"
    assert prompts == ["new PIN for Wayan: ", "the same PIN again: "]
    assert kiosk_cli("guard", "add", "Wayan", "--db", str(db)).code == 0
    assert answers == []
