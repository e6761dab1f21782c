"""The decoder interface, backend selection and the fallback when a native library is missing.

Backends live in their own modules (decode_zxing, decode_zbar) and are imported only here, lazily, so
that pyzbar without libzbar0 (an ImportError when pyzbar.pyzbar loads) disables one backend with one
clear warning instead of breaking the kiosk.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from kiosk.vision.frames import Image

log = logging.getLogger(__name__)

BackendName = Literal["zxing", "zbar"]
DecoderChoice = Literal["zxing", "zbar", "auto"]
Point = tuple[float, float]
Corners = tuple[Point, Point, Point, Point]

#: Preference order for "auto", and which module implements each backend.
BACKENDS: dict[BackendName, str] = {
    "zxing": "kiosk.vision.decode_zxing",
    "zbar": "kiosk.vision.decode_zbar",
}
#: What to tell the office when a backend cannot load.
INSTALL_HINT: dict[BackendName, str] = {
    "zxing": "pip install zxing-cpp",
    "zbar": "install the zbar library (Debian/Ubuntu: apt-get install libzbar0; macOS: brew install zbar)",
}

_warned: set[str] = set()


class DecoderUnavailableError(RuntimeError):
    """No QR backend can load: the kiosk cannot read codes and must show OUT OF ORDER."""


@dataclass(frozen=True, slots=True)
class DecodedCode:
    """One QR code: its raw bytes, the text when the bytes are ASCII, and four corner points.

    Corners run clockwise in image coordinates, from the code's own top-left when the backend knows it.
    """

    raw: bytes
    text: str | None
    corners: Corners
    #: The backend's own text rendering (any charset); for diagnostics and benchmarks, never decided on.
    backend_text: str = ""

    @staticmethod
    def of(raw: bytes, corners: Corners, backend_text: str = "") -> DecodedCode:
        text = raw.decode("ascii") if raw.isascii() else None
        return DecodedCode(raw, text, corners, backend_text or (text or ""))

    def shifted(self, dx: float, dy: float, scale: float = 1.0) -> DecodedCode:
        """The same code with corners mapped from a scaled crop back to frame coordinates."""
        moved = tuple((x / scale + dx, y / scale + dy) for x, y in self.corners)
        return DecodedCode(self.raw, self.text, moved, self.backend_text)  # type: ignore[arg-type]


class Decoder(Protocol):
    name: str

    def decode(self, image: Image) -> list[DecodedCode]:
        """Distinct QR codes in a grey (HxW) or BGR (HxWx3) uint8 image; [] when there are none."""
        ...


def distinct(codes: Sequence[DecodedCode]) -> list[DecodedCode]:
    """Keep the first of each payload: one physical code read twice is still one code."""
    seen: set[bytes] = set()
    out: list[DecodedCode] = []
    for code in codes:
        if code.raw not in seen:
            seen.add(code.raw)
            out.append(code)
    return out


def backend_status() -> dict[BackendName, str | None]:
    """For each backend: None when it loads, else the reason it cannot (for the start-up report)."""
    return {name: _load_error(name) for name in BACKENDS}


def check_backends() -> dict[BackendName, str | None]:
    """backend_status(), warning once per missing backend: call at start so the office learns it early."""
    status = backend_status()
    for name, error in status.items():
        if error is not None:
            _warn_missing(name, error)
    return status


def available_backends() -> list[BackendName]:
    return [name for name, error in backend_status().items() if error is None]


def make_decoder(name: DecoderChoice = "auto") -> Decoder:
    """The requested backend, or the other one when it cannot load (one warning per missing backend)."""
    wanted: list[BackendName] = list(BACKENDS) if name == "auto" else [name]
    order = wanted + [other for other in BACKENDS if other not in wanted]
    failures: list[str] = []
    for backend in order:
        factory, error = _factory(backend)
        if factory is not None:
            if failures:
                log.info("QR decoding with %r instead of %r", backend, name)
            return factory()
        failures.append(f"{backend}: {error}")
        _warn_missing(backend, str(error))
    raise DecoderUnavailableError("no QR decoder can load: " + "; ".join(failures))


def reset_warnings() -> None:
    """Forget which warnings were given (tests; a re-check after installing a library)."""
    _warned.clear()


def _warn_missing(backend: BackendName, error: str) -> None:
    hint = INSTALL_HINT[backend]
    others = ", ".join(repr(other) for other in BACKENDS if other != backend)
    _warn_once(
        backend,
        f"QR backend {backend!r} cannot load: {error}. The kiosk reads with {others} if that loads. "
        f"To enable it: {hint}",
    )


def _warn_once(key: str, message: str) -> None:
    if key not in _warned:
        _warned.add(key)
        log.warning(message)


def _load_error(name: BackendName) -> str | None:
    return _factory(name)[1]


def _factory(name: BackendName) -> tuple[Callable[[], Decoder] | None, str | None]:
    try:
        module = importlib.import_module(BACKENDS[name])
    except ImportError as exc:  # pyzbar raises ImportError when libzbar is missing
        return None, str(exc) or type(exc).__name__
    except OSError as exc:  # a broken or wrong-architecture shared library
        return None, f"{type(exc).__name__}: {exc}"
    factory: Callable[[], Decoder] = module.make
    return factory, None
