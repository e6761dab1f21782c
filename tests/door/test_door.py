"""The door below the screens: one debouncer, the steps and their reasons, bounded evidence."""

from __future__ import annotations

import datetime as dt
import json
import re
import socket
import threading
import tokenize
from pathlib import Path

import httpx
import pytest

from kiosk.domain.model import Reason, Verdict
from kiosk.domain.payload import MAX_MASKED_CHARS, mask_evidence
from kiosk.door import Door, DoorSettings, Intake, OnlineStats, Sighting, Source
from kiosk.door.door import CHECK_OFF, FORGED_HERE, NOT_A_CODE
from kiosk.store import settings
from kiosk.store.db import KioskStore
from kiosk.store.recorder import Recorded
from kiosk.sync import state
from tests.ui.fixtures import ADMIT_CODE, NOW, UNKNOWN_CODE, make_store

REPO = Path(__file__).resolve().parents[2]
FORGED = "KS1." + "A" * 150


@pytest.fixture
def store(tmp_path: Path) -> KioskStore:
    with make_store(tmp_path / "kiosk.db", guards=True) as opened:
        yield opened  # type: ignore[misc]


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ([ADMIT_CODE], [f"  {ADMIT_CODE.lower()}\r\n"], True),  # case and edge spaces forgiven
        (["AAAA-1111-BBBB", "CCCC-2222-DDDD"], ["CCCC-2222-DDDD", "AAAA-1111-BBBB"], True),  # order in frame
        ([ADMIT_CODE], [UNKNOWN_CODE], False),
        (["https://example.org/a"], ["https://example.org/b"], False),  # two different foreign payloads
        ([ADMIT_CODE], [ADMIT_CODE, UNKNOWN_CODE], False),  # a second code joined it: a new presentation
    ],
)
def test_the_one_debouncer_keys_what_was_read(first: list[str], second: list[str], same: bool) -> None:
    intake = Intake(3.0)
    assert intake.accept(first, Source.CAMERA, NOW, 10.0) is not None
    assert (intake.accept(second, Source.WEDGE, NOW, 11.0) is None) is same


@pytest.mark.parametrize(("later", "new"), [(2.9, False), (3.1, True), (-1.0, True)])
def test_the_window_slides_on_monotonic_time(later: float, new: bool) -> None:
    intake = Intake(3.0)
    intake.accept([ADMIT_CODE], Source.CAMERA, NOW, 100.0)
    assert (intake.accept([ADMIT_CODE], Source.CAMERA, NOW, 100.0 + later) is not None) is new


def test_a_sighting_carries_the_other_codes_of_its_frame() -> None:
    sighting = Intake(3.0).accept([ADMIT_CODE, UNKNOWN_CODE], Source.CAMERA, NOW, 1.0)
    assert sighting is not None and sighting.other_codes == 1 and sighting.raw == ADMIT_CODE


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("MP7K2Q9T3M", "MP******3M"),  # a booking code: masked as the guard sees it
        ("A" * 32, "AA" + "*" * 28 + "AA"),
        (FORGED, f"KS1.AA..AAAA/{len(FORGED)}#0123abcd"),
        ("KS1." + "B" * 400, "KS1.BB..BBBB/404#0123abcd"),
    ],
)
def test_the_masked_evidence_is_bounded(code: str, expected: str) -> None:
    masked = mask_evidence(code, "0123abcd" + "f" * 56)
    assert masked == expected and len(masked) <= MAX_MASKED_CHARS


@pytest.mark.parametrize(
    ("raw", "settings", "reason", "fallback"),
    [
        (ADMIT_CODE, DoorSettings(online_check=False), Reason.OK, CHECK_OFF),
        (ADMIT_CODE, DoorSettings(), Reason.OK, "not enrolled"),
        ("3171234567890123", DoorSettings(), Reason.NOT_A_BOOKING, NOT_A_CODE),
        (FORGED, DoorSettings(), Reason.FORGED, FORGED_HERE),
    ],
)
def test_why_the_kiosk_decided_here_is_recorded(
    store: KioskStore, raw: str, settings: DoorSettings, reason: Reason, fallback: str
) -> None:
    with Door(store, settings) as door:
        recorded = door.present(Sighting(raw, NOW, Source.CAMERA))
    assert recorded.decision.reason is reason
    assert (recorded.decided_by, recorded.fallback) == ("local", fallback)
    event = store.decisions.event(recorded.event_uuid)
    assert event is not None
    assert json.loads(event["facts"])["fallback"] == fallback
    assert len(event["code_masked"]) <= MAX_MASKED_CHARS


def test_a_forged_signed_code_keeps_bounded_evidence_that_matches_itself(store: KioskStore) -> None:
    with Door(store) as door:
        first = door.present(Sighting(FORGED, NOW))
        second = door.present(Sighting(FORGED, NOW + dt.timedelta(minutes=1)))
    masked = [store.decisions.event(r.event_uuid)["code_masked"] for r in (first, second)]  # type: ignore[index]
    assert masked[0] == masked[1] and re.fullmatch(r"KS1\.AA\.\.AAAA/154#[0-9a-f]{8}", masked[0])
    with store.reading() as connection:
        bodies = [json.loads(b) for (b,) in connection.exec_driver_sql("SELECT body FROM outbox")]
    assert all(len(body["code_masked"]) <= MAX_MASKED_CHARS for body in bodies)


def enrol_fake(store: KioskStore) -> None:
    """Enrolment as the sync client writes it, pointing at a server that the transport plays."""
    enrolled = {"server_url": "http://server.invalid", "kiosk_id": "KIOSK-T", "office_code": "TEST"}
    with store.writing() as connection:
        settings.put(connection, state.SYNC_ENROLLED, enrolled)
        settings.put(connection, state.TOKEN_KEY, "tok-" + "x" * 20)


def test_a_server_that_does_not_answer_in_the_budget_leaves_the_decision_here(store: KioskStore) -> None:
    def hang(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("no answer", request=request)

    enrol_fake(store)
    with Door(store, DoorSettings(budget_s=0.3), transport=httpx.MockTransport(hang)) as door:
        recorded = door.present(Sighting(ADMIT_CODE, NOW))
    assert recorded.decision.verdict is Verdict.ADMIT
    assert recorded.decided_by == "local" and recorded.fallback == "timeout (300 ms)"


def test_the_status_summary_counts_only_scans_that_asked() -> None:
    stats = OnlineStats(enabled=True)
    decision = object()
    for decided_by, ms, fallback in (
        ("server", 12.0, ""),
        ("local", 300.0, "timeout (300 ms)"),
        ("local", None, "not a booking code"),
    ):
        stats.add(Recorded("u", decision, NOW, 1, "h", decided_by, fallback, ms))  # type: ignore[arg-type]
    summary = stats.summary()
    assert (summary.asked, summary.answered, summary.median_ms) == (2, 1, 156.0)
    assert summary.last_fallback == "timeout (300 ms)" and summary.share == 0.5  # a NIK never asked the server


def code_only(path: Path) -> str:
    """The module's code without its comments and strings (docstrings say "record" and "decide")."""
    with path.open("rb") as handle:
        tokens = [t for t in tokenize.tokenize(handle.readline) if t.type not in (tokenize.COMMENT, tokenize.STRING)]
    return " ".join(t.string for t in tokens)


def kiosk_files_matching(pattern: str) -> set[str]:
    return {
        str(path.relative_to(REPO)) for path in (REPO / "kiosk").rglob("*.py") if re.search(pattern, code_only(path))
    }


DOOR = "kiosk/door/door.py"


@pytest.mark.parametrize(
    ("pattern", "allowed"),
    [
        # a presentation is built in the door only (the domain defines it; the server decides its own
        # online checks with the same domain code, in its own program)
        (r"\bPresentation \(", {DOOR, "kiosk/domain/decide.py", "kiosk/server/events.py"}),
        # a scan is recorded or decided below the door only by the door (the controller hands the
        # writer a sighting and the door: DbWriter.record runs door.present); the server's own
        # administrative log (admin_audit.record) records no scan
        (
            r"(?<!admin_audit )\. (record|record_decided|decide_only) \(",
            {DOOR, "kiosk/store/db.py", "kiosk/ui/controller.py"},
        ),
        (
            r"\b(decide_and_record|decide) \(",
            {
                "kiosk/store/recorder.py",
                "kiosk/store/parts/decisions.py",
                "kiosk/domain/decide.py",
                "kiosk/server/events.py",
            },
        ),
    ],
)
def test_nothing_outside_the_door_decides_a_code(pattern: str, allowed: set[str]) -> None:
    """Every entry point goes through the door: nothing else in the kiosk builds a presentation, or
    decides or records a scan."""
    found = kiosk_files_matching(pattern)
    assert found <= allowed, found - allowed
    assert found, "the pattern matches nothing: the test would prove nothing"


def test_the_controller_hands_the_writer_only_the_door() -> None:
    calls = re.findall(r"\. record \( ([^,]+) ,", code_only(REPO / "kiosk/ui/controller.py"))
    assert [" ".join(call.split()) for call in calls] == ["self . door"]


HEADERS = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"


class TricklingServer:
    """A server on loopback that answers every request with headers, then one byte of body at a time,
    forever (until stopped): a server that is up but never finishes an answer. `headers=True`
    trickles the headers instead (the answer never even begins)."""

    def __init__(self, *, headers: bool = False) -> None:
        self.headers = headers
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.stop = threading.Event()
        self.sending = threading.Event()
        self.thread = threading.Thread(target=self._serve, name="trickling-server")
        self.thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(0.05)
        while not self.stop.is_set():
            try:
                connection, _ = self.sock.accept()
            except TimeoutError:
                continue
            with connection:
                connection.recv(65536)
                connection.sendall(b"HTTP/1.1 200 OK\r\n" if self.headers else HEADERS)
                self.sending.set()
                while not self.stop.wait(0.02):
                    try:
                        connection.sendall(b"X" if self.headers else b" ")
                    except OSError:
                        break

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        self.sock.close()


@pytest.mark.parametrize("headers", [False, True], ids=["body", "headers"])
def test_the_budget_is_a_deadline_even_for_a_server_that_trickles(store: KioskStore, headers: bool) -> None:
    """The answer comes back while the server is still sending (each read of it comes well inside the
    budget, so per-read timeouts alone would wait as long as it trickles), and closing the door does
    not wait for such a server either."""
    server = TricklingServer(headers=headers)
    try:
        enrolled = {"server_url": server.url, "kiosk_id": "KIOSK-T", "office_code": "TEST"}
        with store.writing() as connection:
            settings.put(connection, state.SYNC_ENROLLED, enrolled)
            settings.put(connection, state.TOKEN_KEY, "tok-" + "x" * 20)
        with Door(store, DoorSettings(budget_s=0.3)) as door:
            first = door.present(Sighting(ADMIT_CODE, NOW))
            assert server.sending.is_set() and not server.stop.is_set()  # decided while it still trickled
            assert first.decided_by == "local" and first.fallback.startswith("timeout")
            assert first.decision.verdict is Verdict.ADMIT  # decided from the local data
            second = door.present(Sighting(UNKNOWN_CODE, NOW))
            assert second.fallback.startswith("timeout")  # (at once, if the first is still out)
            assert second.decision.reason is Reason.STALE_DATA  # enrolled and never synced: to the officer
        assert not server.stop.is_set()  # the door closed while the server was still trickling
    finally:
        server.close()
