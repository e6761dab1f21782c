"""Qt's own tooling: complete .ts translations compiled to .qm and loaded with QTranslator, a tone per
state (short, distinct WAV files), an icon per state, the style sheet; sound that degrades to silence."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import wave
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from kiosk.domain.explain import Lang
from kiosk.domain.screen import ScreenState
from kiosk.ui.resources import (
    icon,
    install_language,
    load_translator,
    resources_dir,
    sound_path,
    style_sheet,
    translation_path,
)
from kiosk.ui.sound import QtTonePlayer

TS = {lang: resources_dir() / "translations" / f"kiosk_{lang.value}.ts" for lang in Lang}
LUPDATE = Path(sys.executable).with_name("pyside6-lupdate")


def messages(path: Path) -> dict[tuple[str, str], ET.Element]:
    root = ET.parse(path).getroot()
    found: dict[tuple[str, str], ET.Element] = {}
    for context in root.iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            found[(name, message.findtext("source") or "")] = message
    return found


@pytest.mark.parametrize("lang", list(Lang), ids=str)
def test_translations_are_complete_and_compiled(lang: Lang) -> None:
    found = messages(TS[lang])
    assert len(found) > 150
    for key, message in found.items():
        translation = message.find("translation")
        assert translation is not None
        assert translation.get("type") not in ("unfinished", "obsolete", "vanished"), f"not translated: {key}"
        forms = [f.text for f in translation.findall("numerusform")] if message.get("numerus") else [translation.text]
        assert all(forms), f"empty translation for {key}"
        for placeholder in ("%1", "%2", "%n"):
            if placeholder in key[1]:
                assert all(placeholder in (form or "") for form in forms), f"{placeholder} lost in {key}"
    qm = translation_path(lang)
    assert qm.exists() and qm.stat().st_mtime >= TS[lang].stat().st_mtime - 1, "run resources/build_translations.sh"


def test_every_text_in_the_code_is_in_the_translation_sources(tmp_path: Path) -> None:
    """pyside6-lupdate on the code finds no text that kiosk_id.ts lacks (a new tr() needs a translation)."""
    fresh = tmp_path / "fresh.ts"
    sources = sorted(str(p) for p in (Path(__file__).parents[2] / "kiosk" / "ui").glob("*.py"))
    subprocess.run([str(LUPDATE), *sources, "-ts", str(fresh)], check=True, capture_output=True)
    in_code = set(messages(fresh))
    assert in_code - set(messages(TS[Lang.ID])) == set()


def test_the_translator_translates_and_english_has_plural_forms(qapp: QApplication) -> None:
    indonesian = load_translator(Lang.ID)
    english = load_translator(Lang.EN)
    assert indonesian is not None and english is not None
    assert indonesian.translate("Labels", "Already admitted") == "Sudah pernah masuk"
    assert indonesian.translate("QueuePage", "Dismiss") == "Abaikan"
    assert english.translate("GuardConsole", "%n people", None, 1) == "%n person"
    assert english.translate("GuardConsole", "%n people", None, 2) == "%n people"
    install_language(qapp, Lang.EN)
    try:
        assert QCoreApplication.translate("Labels", "Too early") == "Too early"
        install_language(qapp, Lang.ID)
        assert QCoreApplication.translate("Labels", "Too early") == "Terlalu awal"
    finally:
        install_language(qapp, Lang.ID)


def test_each_state_has_its_own_short_tone() -> None:
    digests = set()
    for state in ScreenState:
        path = sound_path(state)
        with wave.open(str(path), "rb") as handle:
            seconds = handle.getnframes() / handle.getframerate()
            assert handle.getnchannels() == 1 and handle.getsampwidth() == 2
        assert 0.02 < seconds <= 0.8, f"{state}: {seconds:.2f} s"
        assert path.stat().st_size < 50_000
        digests.add(hashlib.sha256(path.read_bytes()).hexdigest())
    assert len(digests) == len(ScreenState)


def test_the_tones_are_what_the_script_makes(tmp_path: Path) -> None:
    """The WAV files in resources/ are the output of resources/make_tones.py (no hand-edited sound)."""
    copy = tmp_path / "resources"
    copy.mkdir()
    shutil.copy(resources_dir() / "make_tones.py", copy)
    subprocess.run([sys.executable, str(copy / "make_tones.py")], check=True, capture_output=True)
    for state in ScreenState:
        assert (copy / "sounds" / f"{state.value}.wav").read_bytes() == sound_path(state).read_bytes()


def test_each_state_has_an_icon(qapp: QApplication) -> None:
    for state in ScreenState:
        image: QIcon = icon(state)
        assert not image.isNull()
        assert not image.pixmap(64, 64).toImage().isNull()


def test_the_style_sheet_loads(qapp: QApplication) -> None:
    sheet = style_sheet()
    assert '#applicant[state="admit"]' in sheet and '#applicant[state="out_of_order"]' in sheet


def test_without_an_audio_device_the_kiosk_stays_silent(qapp: QApplication, caplog: pytest.LogCaptureFixture) -> None:
    player = QtTonePlayer()
    for state in ScreenState:
        player.play(state)  # never raises, whatever the machine has
    if not player.available:
        assert sum("sound is off" in r.message for r in caplog.records) == 1  # said once
    player.deleteLater()


def test_a_translation_file_rewritten_under_a_running_kiosk_changes_nothing(tmp_path: Path, qapp: QApplication) -> None:
    """QTranslator.load(path) maps the file: rewriting it in place (an upgrade, a rebuild) changed the
    texts of a running kiosk and once crashed one. The kiosk reads the file into memory instead."""
    from kiosk.ui import resources

    copy = tmp_path / "kiosk_id.qm"
    copy.write_bytes(translation_path(Lang.ID).read_bytes())
    original = resources.translation_path
    resources.translation_path = lambda lang: copy  # type: ignore[assignment]
    try:
        translator = load_translator(Lang.ID)
    finally:
        resources.translation_path = original  # type: ignore[assignment]
    assert translator is not None
    with copy.open("r+b") as handle:  # in place: same file, new contents
        handle.write(translation_path(Lang.EN).read_bytes())
        handle.truncate()
    assert translator.translate("Labels", "Too early") == "Terlalu awal"
    (tmp_path / "kiosk_id.qm").write_bytes(b"not a translation")
    resources.translation_path = lambda lang: copy  # type: ignore[assignment]
    try:
        assert load_translator(Lang.ID) is None  # refused with a log line, the console stays in English
    finally:
        resources.translation_path = original  # type: ignore[assignment]


@pytest.mark.parametrize("state", list(ScreenState))
def test_results_are_spoken_after_their_tone(state: ScreenState) -> None:
    """The spoken prompt starts with the state's own tone, then words (longer than the tone alone)."""
    tone, spoken = sound_path(state), sound_path(state, spoken=True)
    if state in (ScreenState.IDLE, ScreenState.CHECKING):
        assert spoken == tone  # no words while nothing has been decided
        return
    assert spoken != tone and spoken.parent.name == "voice"
    with wave.open(str(tone), "rb") as a, wave.open(str(spoken), "rb") as b:
        assert (a.getnchannels(), a.getsampwidth(), a.getframerate()) == (
            b.getnchannels(),
            b.getsampwidth(),
            b.getframerate(),
        )
        tone_frames = a.readframes(a.getnframes())
        assert b.getnframes() > a.getnframes() + a.getframerate()  # at least a second of words
        assert b.readframes(a.getnframes()) == tone_frames
