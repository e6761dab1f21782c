"""Backend selection: pyzbar without libzbar0 is reported once, clearly, and zxing-cpp takes over.

The missing library is simulated in-process: pyzbar's own loader is made to find no zbar, exactly as on
a machine without libzbar0 (its import then raises ImportError).
"""

from __future__ import annotations

import ctypes.util
import logging
import sys

import pytest

from kiosk.vision import decoders
from kiosk.vision.decoders import (
    DecoderUnavailableError,
    available_backends,
    backend_status,
    check_backends,
    make_decoder,
)
from tests.vision.codes import qr_image, require_backend

PYZBAR_MODULES = ["pyzbar", "pyzbar.pyzbar", "pyzbar.wrapper", "pyzbar.zbar_library", "kiosk.vision.decode_zbar"]


@pytest.fixture(autouse=True)
def fresh_warnings() -> None:
    decoders.reset_warnings()


@pytest.fixture
def no_libzbar(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if libzbar0 were not installed: pyzbar's loader finds no library, so importing pyzbar fails."""
    real_find = ctypes.util.find_library
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None if name == "zbar" else real_find(name))
    for name in PYZBAR_MODULES:
        monkeypatch.delitem(sys.modules, name, raising=False)


@pytest.fixture
def no_zxing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "zxingcpp", None)  # `import zxingcpp` raises ImportError
    monkeypatch.delitem(sys.modules, "kiosk.vision.decode_zxing", raising=False)


def warnings_in(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and r.name == decoders.__name__]


def test_zbar_is_used_when_its_library_is_present() -> None:
    require_backend("zbar")
    assert make_decoder("zbar").name == "zbar"
    assert backend_status()["zbar"] is None


def test_auto_prefers_zxing() -> None:
    assert make_decoder("auto").name == "zxing"


@pytest.mark.usefixtures("no_libzbar")
def test_without_libzbar_zbar_falls_back_to_zxing_with_one_clear_warning(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    first = make_decoder("zbar")
    second = make_decoder("zbar")
    assert first.name == second.name == "zxing"
    assert [t.text for t in first.decode(qr_image("KNM-7F3K-2Q9D"))] == ["KNM-7F3K-2Q9D"]
    messages = warnings_in(caplog)
    assert len(messages) == 1, messages
    assert "'zbar' cannot load" in messages[0] and "libzbar0" in messages[0] and "with 'zxing'" in messages[0]


@pytest.mark.usefixtures("no_libzbar")
def test_status_names_the_missing_library() -> None:
    status = backend_status()
    assert status["zxing"] is None
    assert status["zbar"] is not None and "zbar" in status["zbar"]
    assert available_backends() == ["zxing"]


@pytest.mark.usefixtures("no_zxing")
def test_without_zxing_the_kiosk_uses_zbar(caplog: pytest.LogCaptureFixture) -> None:
    require_backend("zbar")
    caplog.set_level(logging.WARNING)
    assert make_decoder("auto").name == "zbar"
    assert make_decoder("zxing").name == "zbar"
    assert len([m for m in warnings_in(caplog) if "cannot load" in m]) == 1


@pytest.mark.usefixtures("no_zxing", "no_libzbar")
def test_no_backend_at_all_is_an_error_not_a_silent_blind_camera() -> None:
    with pytest.raises(DecoderUnavailableError, match="no QR decoder"):
        make_decoder("auto")


@pytest.mark.usefixtures("no_libzbar")
def test_the_start_up_check_names_a_missing_backend_once(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    check_backends()
    check_backends()
    make_decoder("zbar")
    assert len([m for m in warnings_in(caplog) if "cannot load" in m and "zbar" in m]) == 1
