"""The decode pipeline in a child process: same answers as in-process, survives a dead or hung child,
falls back to this process when no child can start, and never lets a decoder fault pass as a code."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from kiosk.vision import isolated
from kiosk.vision.decode_zxing import ZxingDecoder
from kiosk.vision.decoders import DecoderUnavailableError
from kiosk.vision.gate import Region
from kiosk.vision.isolated import DecodeFaultError, IsolatedPipeline
from kiosk.vision.pipeline import ScanPipeline
from tests.processes import wait_until_dead
from tests.vision.codes import blurred, canvas, qr_image


@pytest.fixture(scope="module")
def pipeline() -> Iterator[IsolatedPipeline]:
    with IsolatedPipeline("zxing") as running:
        yield running


def test_reads_what_the_in_process_pipeline_reads(pipeline: IsolatedPipeline) -> None:
    frames = [
        canvas(qr_image("MP7K-4Q9X-H2PT")),
        canvas(qr_image("MP7K-4Q9X-H2PT", dark_mode=True)),
        canvas(qr_image("AB12CD34EF", mirrored=True), qr_image("ZZ98YY76XX")),
        canvas(blurred(qr_image("BLUR1234CODE", module=4), 1.2)),
        np.full((720, 1280), 128, np.uint8),
    ]
    local = ScanPipeline(ZxingDecoder())
    for frame in frames:
        here, there = local.decode(frame), pipeline.decode(frame)
        assert [c.raw for c in there.codes] == [c.raw for c in here.codes]
        assert [c.corners for c in there.codes] == [c.corners for c in here.codes]
        assert (there.stage, there.passes) == (here.stage, here.passes)
    assert pipeline.isolated and pipeline.child_pid not in (None, os.getpid())
    assert pipeline.decoder_name == "zxing" and pipeline.name.startswith("zxing")


def test_no_frame_file_is_left_behind(pipeline: IsolatedPipeline) -> None:
    pipeline.decode(canvas(qr_image("NAMELESS-1")))
    slot = pipeline._slot
    assert slot is not None and not os.path.exists(slot.path)  # mapped by both, named nowhere


def test_regions_and_a_bgr_frame_cross_the_pipe(pipeline: IsolatedPipeline) -> None:
    gray = canvas(qr_image("REGION12345"))
    bgr = np.dstack([gray, gray, gray])
    result = pipeline.decode(bgr, [Region(0, 0, 400, 400)], rescue=True)
    assert [c.text for c in result.codes] == ["REGION12345"]
    assert pipeline.decode(np.full((480, 640), 255, np.uint8), [], rescue=True).codes == ()


def test_a_killed_child_costs_one_frame_then_a_new_child_reads(caplog: pytest.LogCaptureFixture) -> None:
    frame = canvas(qr_image("AFTER-CRASH-1"))
    with IsolatedPipeline("zxing", restart_pause_s=0.0) as pipe:
        first = pipe.child_pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        wait_until_dead(first)
        with caplog.at_level(logging.ERROR), pytest.raises(DecodeFaultError, match="ended while decoding"):
            pipe.decode(frame)
        assert "decoder process" in caplog.text
        assert [c.text for c in pipe.decode(frame).codes] == ["AFTER-CRASH-1"]
        assert pipe.child_pid not in (None, first) and pipe.restarts == 1


def test_restarts_wait_between_attempts() -> None:
    with IsolatedPipeline("zxing", restart_pause_s=60.0) as pipe:
        pid = pipe.child_pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        wait_until_dead(pid)
        with pytest.raises(DecodeFaultError):
            pipe.decode(canvas(qr_image("X1234567")))
        with pytest.raises(DecodeFaultError, match="restarting"):
            pipe.decode(canvas(qr_image("X1234567")))  # no new child yet: a crash loop cannot spin


def test_a_hung_child_is_killed_after_the_timeout() -> None:
    with IsolatedPipeline("zxing", decode_timeout_s=0.5, restart_pause_s=0.0) as pipe:
        pid = pipe.child_pid
        assert pid is not None
        os.kill(pid, signal.SIGSTOP)  # a decoder stuck in native code looks like this from outside
        started = time.monotonic()
        with pytest.raises(DecodeFaultError, match=r"did not answer within 0\.5 s"):
            pipe.decode(canvas(qr_image("HUNG12345")))  # a stopped child never answers: only the timeout ends this
        assert time.monotonic() - started >= 0.45  # it waited the timeout (load only makes that longer)
        wait_until_dead(pid)  # killed, not left stopped
        assert [c.text for c in pipe.decode(canvas(qr_image("HUNG12345"))).codes] == ["HUNG12345"]


def test_a_decoder_exception_in_the_child_is_reported_not_read(pipeline: IsolatedPipeline) -> None:
    with pytest.raises(DecodeFaultError, match="failed on this frame"):
        pipeline.decode(np.zeros((0, 10), np.uint8))  # zxing refuses an empty image
    assert [c.text for c in pipeline.decode(canvas(qr_image("STILL-FINE-1"))).codes] == ["STILL-FINE-1"]


def test_no_backend_in_the_child_is_decoder_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(isolated, "serve", _serve_without_backends)
    with pytest.raises(DecoderUnavailableError, match="no QR decoder"):
        IsolatedPipeline("zxing")


def test_falls_back_to_this_process_when_no_child_can_start(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def refuse(self: object) -> None:
        raise OSError("process creation is not allowed here")

    monkeypatch.setattr("multiprocessing.context.SpawnProcess.start", refuse)
    with caplog.at_level(logging.ERROR), IsolatedPipeline("zxing") as pipe:
        assert not pipe.isolated
        assert [c.text for c in pipe.decode(canvas(qr_image("FALLBACK-OK1"))).codes] == ["FALLBACK-OK1"]
    assert "could not start" in caplog.text and "inside the kiosk's own process" in caplog.text


def _serve_without_backends(conn: object, choice: str, rescue: bool, log_level: int) -> None:
    """A child whose every QR backend fails to load (module-level: spawn pickles it by name)."""
    from kiosk.vision import decoders

    decoders.BACKENDS = {"zxing": "kiosk.vision.no_such_backend"}  # type: ignore[dict-item]
    isolated.serve(conn, choice, rescue, log_level)  # type: ignore[arg-type]


#: A main module like the `kiosk` console script's (which imports the whole command line: SQLAlchemy)
#: and the benchmarks' (which import kiosk.app: Qt). Spawn would run it again in the child.
HEAVY_MAIN = """
import sys
import PySide6.QtWidgets
import sqlalchemy
from kiosk.vision.isolated import IsolatedPipeline

if __name__ == "__main__":
    with IsolatedPipeline("zxing") as pipeline:
        modules = pipeline.child_modules()
        assert pipeline.isolated and modules
        print("\\n".join(modules))
"""


def test_the_child_imports_neither_qt_nor_sqlalchemy_whatever_the_main_module(tmp_path: Path) -> None:
    script = tmp_path / "heavy_main.py"
    script.write_text(HEAVY_MAIN)
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    modules = set(done.stdout.split())
    assert "kiosk.vision.isolated" in modules and "zxingcpp" in modules
    heavy = sorted(m for m in modules if m.split(".")[0] in {"PySide6", "shiboken6", "sqlalchemy", "alembic", "httpx"})
    assert heavy == []


def test_a_prestarted_child_is_taken_over_by_the_next_pipeline_of_its_choice() -> None:
    isolated.prestart("zxing")
    key = ("zxing", True, logging.getLogger("kiosk").getEffectiveLevel())
    early = isolated._PRESTARTED[key]
    isolated.prestart("zxing")  # once is enough
    assert isolated._PRESTARTED[key] is early
    pid = early.pid
    with IsolatedPipeline("zxing") as pipeline:
        assert pipeline.isolated and pipeline.child_pid == pid
        assert key not in isolated._PRESTARTED
        assert [c.text for c in pipeline.decode(canvas(qr_image("EARLY-BIRD-1"))).codes] == ["EARLY-BIRD-1"]
    assert pid is not None
    wait_until_dead(pid)


def test_a_prestarted_child_that_died_is_replaced() -> None:
    isolated.prestart("zxing")
    key = ("zxing", True, logging.getLogger("kiosk").getEffectiveLevel())
    early = isolated._PRESTARTED[key]
    assert early.pid is not None
    os.kill(early.pid, signal.SIGKILL)
    wait_until_dead(early.pid)
    with IsolatedPipeline("zxing") as pipeline:
        assert pipeline.isolated and pipeline.child_pid not in (None, early.pid)
        assert [c.text for c in pipeline.decode(canvas(qr_image("SECOND-TRY-2"))).codes] == ["SECOND-TRY-2"]
