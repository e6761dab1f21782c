"""Where the kiosk's resources are (icons, tones, translations, style sheet) and how Qt loads them.

The folder is `resources/` beside the `kiosk` package (a source checkout or an editable install), or
wherever $KIOSK_RESOURCES points (a packaged kiosk). Reading these small files happens once at start,
before the event loop runs.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLocale, QTranslator
from PySide6.QtGui import QIcon

from kiosk.domain.explain import Lang
from kiosk.domain.screen import ScreenState

log = logging.getLogger(__name__)

_translators: dict[int, QTranslator] = {}


def resources_dir() -> Path:
    override = os.environ.get("KIOSK_RESOURCES")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / "resources"


def icon_path(state: ScreenState) -> Path:
    return resources_dir() / "icons" / f"{state.value}.svg"


def icon(state: ScreenState) -> QIcon:
    return QIcon(str(icon_path(state)))


def sound_path(state: ScreenState) -> Path:
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
    """A translator for `lang`, or None (logged) when its .qm file is missing."""
    translator = QTranslator()
    if translator.load(str(translation_path(lang))):
        return translator
    log.warning("no translation file %s; the guard console stays in English", translation_path(lang))
    return None


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
