"""The state tones, played through QtMultimedia (QSoundEffect: low latency, no decoding at play time).

ADMIT, REFER, DENY and OUT OF ORDER are followed by a short Indonesian sentence (made at build time,
resources/make_prompts.py), for applicants who cannot read the screen; `[sound] spoken = false` keeps
the tones alone.

Sound is a help, never a requirement: where QtMultimedia cannot load (on Linux it needs libpulse0) or
there is no audio output, the kiosk says so once in the log and stays silent.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from PySide6.QtCore import QObject, QUrl

from kiosk.domain.screen import ScreenState
from kiosk.ui.resources import sound_path

log = logging.getLogger(__name__)


class TonePlayer(Protocol):
    def play(self, state: ScreenState) -> None: ...


class SilentPlayer:
    """No sound; remembers what it was asked to play (for tests and for kiosks without speakers)."""

    def __init__(self) -> None:
        self.played: list[ScreenState] = []

    def play(self, state: ScreenState) -> None:
        self.played.append(state)


class QtTonePlayer(QObject):
    """One QSoundEffect per state, loaded at start; with `spoken` the results are also said in words."""

    def __init__(self, volume: float = 0.8, parent: QObject | None = None, *, spoken: bool = True) -> None:
        super().__init__(parent)
        self._effects: dict[ScreenState, Any] = {}
        self._warned = False
        try:
            from PySide6.QtMultimedia import QMediaDevices, QSoundEffect
        except ImportError as exc:  # QtMultimedia's own libraries (libpulse0 on Linux) are missing
            self._silent(f"QtMultimedia cannot load ({exc}); on Linux install libpulse0")
            return
        if not QMediaDevices.audioOutputs():
            self._silent("no audio output device")
            return
        for state in ScreenState:
            path = sound_path(state, spoken=spoken)
            if not path.exists():
                self._silent(f"tone file {path} is missing")
                continue
            effect = QSoundEffect(self)
            effect.setSource(QUrl.fromLocalFile(str(path)))
            effect.setVolume(volume)
            self._effects[state] = effect

    @property
    def available(self) -> bool:
        return bool(self._effects)

    def play(self, state: ScreenState) -> None:
        effect = self._effects.get(state)
        if effect is None:
            return
        if effect.status() == effect.Status.Error:
            self._silent(f"the {state.value} tone cannot play")
            return
        effect.play()

    def _silent(self, why: str) -> None:
        if not self._warned:
            self._warned = True
            log.warning("sound is off: %s; the kiosk shows every state with words and an icon", why)
