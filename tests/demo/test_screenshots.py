"""`kiosk screenshots` (kiosk/demo/screenshots.py driving kiosk/ui/screenshots.py): a PNG of every
applicant state and of the guard's main screens, offscreen, on a scratch demo database."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from kiosk import cli
from kiosk.ui.screenshots import APPLICANT_SIZE, parse_size

NAMES = [
    "applicant-idle",
    "applicant-checking",
    "applicant-admit-party-of-3",
    "applicant-refer",
    "applicant-refer-english-first",
    "applicant-deny-too-early",
    "applicant-deny-already-admitted",
    "applicant-deny-not-a-booking",
    "applicant-deny-wrong-office-english-first",
    "applicant-out-of-order",
    "guard-login",
    "guard-queue",
    "guard-override-dialog",
    "guard-statistics",
    "guard-status",
]


def test_kiosk_screenshots_saves_every_screen(
    qapp: QApplication, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    out = tmp_path / "shots"
    assert cli.main(["screenshots", str(out)]) == 0
    assert capsys.readouterr().out.split() == [str(out / f"{name}.png") for name in NAMES]
    images = {name: QImage(str(out / f"{name}.png")) for name in NAMES}
    assert not [name for name, image in images.items() if image.isNull()]
    idle = images["applicant-idle"]
    assert (idle.width(), idle.height()) == APPLICANT_SIZE
    assert sorted(path.stem for path in out.iterdir()) == sorted(NAMES)


def test_kiosk_screenshots_at_several_sizes(
    qapp: QApplication, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """--size (repeatable, or a list): each applicant state and each console screen at every size, named
    NAME-WxH.png; the override dialog once."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    out = tmp_path / "shots"
    assert cli.main(["screenshots", str(out), "--size", "1080x1920,1366x768", "--size", "1280x1024"]) == 0
    sizes = ["1080x1920", "1366x768", "1280x1024"]
    expected = {f"{name}-{size}" for name in NAMES if name != "guard-override-dialog" for size in sizes}
    expected.add("guard-override-dialog")
    assert {path.stem for path in out.iterdir()} == expected
    for size in sizes:
        width, height = parse_size(size)
        image = QImage(str(out / f"applicant-deny-already-admitted-{size}.png"))
        assert (image.width(), image.height()) == (width, height)
    for size in ("1366x768", "1280x1024"):  # the console is grabbed at the landscape sizes as asked
        image = QImage(str(out / f"guard-queue-{size}.png"))
        assert (image.width(), image.height()) == parse_size(size)
    capsys.readouterr()


@pytest.mark.parametrize("text", ["1920", "1920x", "axb", "100x100", "1920*1080"])
def test_a_size_that_is_not_one_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a screen size"):
        parse_size(text)
