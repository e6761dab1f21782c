"""Where the kiosk's resources are (icons, tones, translations, style sheet) and how Qt loads them.

The folder is `resources/` beside the `kiosk` package (a source checkout or an editable install), or
wherever $KIOSK_RESOURCES points (a packaged kiosk). Reading these small files happens once at start,
before the event loop runs.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLocale, QTranslator
from PySide6.QtGui import QIcon

import kiosk
from kiosk.domain.explain import Lang
from kiosk.domain.screen import ScreenState

log = logging.getLogger(__name__)

_translators: dict[int, QTranslator] = {}


def resources_dir() -> Path:
    return kiosk.resources_dir()


def icon_path(state: ScreenState) -> Path:
    return resources_dir() / "icons" / f"{state.value}.svg"


def icon(state: ScreenState) -> QIcon:
    return QIcon(str(icon_path(state)))


def sound_path(state: ScreenState, *, spoken: bool = False) -> Path:
    """The state's tone, or with `spoken` the tone followed by the Indonesian words where the state
    has them (resources/make_prompts.py; ADMIT, REFER, DENY, OUT OF ORDER): the other states stay a tone."""
    if spoken:
        voice = resources_dir() / "sounds" / "voice" / f"{state.value}.wav"
        if voice.is_file():
            return voice
    return resources_dir() / "sounds" / f"{state.value}.wav"


def translation_path(lang: Lang) -> Path:
    return resources_dir() / "translations" / f"kiosk_{lang.value}.qm"


def style_sheet() -> str:
    path = resources_dir() / "kiosk.qss"
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        log.warning("no style sheet at %s (%s); the kiosk runs with Qt's default look", path, exc.strerror)
        return ""


def load_translator(lang: Lang) -> QTranslator | None:
    """A translator for `lang`, or None (logged) when its .qm file is missing or unreadable.

    The file is read into memory first: QTranslator.load(path) maps the file and reads it for as long
    as the kiosk runs, so a .qm rewritten in place under a running kiosk (an upgrade, a rebuild of the
    translations) changed its texts and could crash it (seen: a segfault in QTranslator during a
    30-minute run). The bytes stay referenced by the translator; Qt does not copy them."""
    path = translation_path(lang)
    try:
        translator = _MemoryTranslator(path.read_bytes())
    except OSError as exc:
        log.warning("no translation file %s (%s); the guard console stays in English", path, exc.strerror)
        return None
    if not translator.load(translator.data):
        log.warning("%s is not a Qt translation file; the guard console stays in English", path)
        return None
    return translator


class _MemoryTranslator(QTranslator):
    """A QTranslator and the bytes it reads from, which live exactly as long as it does."""

    def __init__(self, data: bytes) -> None:
        super().__init__()
        self.data = data


def install_language(app: QCoreApplication, lang: Lang) -> bool:
    """Make `lang` the language of the guard console (and every tr() text). Widgets retranslate on the
    LanguageChange event Qt sends to them when the translator changes."""
    key = id(app)
    previous = _translators.pop(key, None)
    if previous is not None:
        app.removeTranslator(previous)
    translator = load_translator(lang)
    if translator is None:
        return False
    app.installTranslator(translator)
    _translators[key] = translator
    QLocale.setDefault(QLocale(QLocale.Language.Indonesian if lang is Lang.ID else QLocale.Language.English))
    return True
