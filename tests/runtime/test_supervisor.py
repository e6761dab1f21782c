"""The supervisor (kiosk/runtime/supervisor.py) with real tiny child processes (tests/runtime/jobs.py):
a job that works, one that dies, one that hangs; restarts, their pause on a manual clock, interrupt(),
a clean stop. No stopwatch: every wait is on a message, a process's end or an event."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.runtime.supervisor import (
    ChildDiedError,
    ChildInterruptedError,
    ChildRestartingError,
    ChildSilentError,
    ChildStartError,
    Supervisor,
    exit_text,
)
from tests import processes
from tests.runtime import jobs

#: Long enough for a spawned child's start on a loaded machine; a test that passes never waits it out.
PATIENCE_S = 60.0


@pytest.fixture
def supervisor() -> Iterator[Supervisor]:
    child = Supervisor("kiosk-test")
    yield child
    child.end()


def gone(pid: int) -> bool:
    """True when `pid` no longer exists (ended and reaped by its parent)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def wait_until_dead(pid: int) -> None:
    processes.wait_until_dead(pid, PATIENCE_S)


def test_a_child_does_its_job_and_ends_when_asked(supervisor: Supervisor) -> None:
    pid = supervisor.start(jobs.echo, ("hello",))
    assert supervisor.receive(PATIENCE_S) == "hello"
    supervisor.send({"frame": 1})
    assert supervisor.receive(PATIENCE_S) == ("echo", {"frame": 1})
    assert supervisor.running and supervisor.pid == pid != os.getpid()
    assert supervisor.restarts == 0
    assert supervisor.stop("bye", PATIENCE_S) == 0  # it returned by itself: not terminated, not killed
    assert supervisor.pid is None and not supervisor.running
    assert gone(pid)  # reaped, not left a zombie
    assert supervisor.stop("bye", PATIENCE_S) is None  # nothing left to stop


def test_a_child_that_dies_is_reported_and_the_next_start_replaces_it(supervisor: Supervisor) -> None:
    first = supervisor.start(jobs.echo)
    assert supervisor.receive(PATIENCE_S) == "ready"
    supervisor.send("die")
    with pytest.raises(ChildDiedError, match=r"ended \(exit code 3\)") as died:
        supervisor.receive(PATIENCE_S)
    assert (died.value.pid, died.value.exitcode) == (first, 3)
    assert supervisor.pid is None and gone(first)
    second = supervisor.start(jobs.echo)
    assert second != first and supervisor.restarts == 1
    assert supervisor.receive(PATIENCE_S) == "ready"
    supervisor.send("again")
    assert supervisor.receive(PATIENCE_S) == ("echo", "again")


def test_what_a_child_said_before_it_died_is_read_first(supervisor: Supervisor) -> None:
    supervisor.start(jobs.echo)
    assert supervisor.receive(PATIENCE_S) == "ready"
    supervisor.send("last words")
    assert supervisor.receive(PATIENCE_S) == ("echo", "last words")
    with pytest.raises(ChildDiedError) as died:
        supervisor.receive(PATIENCE_S)
    assert died.value.exitcode == 4


def test_sending_to_a_dead_child_reports_its_death(supervisor: Supervisor) -> None:
    pid = supervisor.start(jobs.echo)
    assert supervisor.receive(PATIENCE_S) == "ready"
    os.kill(pid, signal.SIGKILL)
    wait_until_dead(pid)
    with pytest.raises(ChildDiedError) as died:
        supervisor.send("anyone?")
    assert (died.value.pid, died.value.exitcode) == (pid, -signal.SIGKILL)
    assert supervisor.pid is None


def test_a_hung_child_is_ended_at_the_timeout(supervisor: Supervisor) -> None:
    pid = supervisor.start(jobs.echo)
    assert supervisor.receive(PATIENCE_S) == "ready"
    os.kill(pid, signal.SIGSTOP)  # as a decoder stuck in native code looks from outside: no SIGTERM ends it
    supervisor.send("anyone?")
    with pytest.raises(ChildSilentError, match=r"within 0\.2 s") as silent:
        supervisor.receive(0.2)
    assert silent.value.pid == pid
    assert supervisor.pid is None and gone(pid)  # killed and reaped, not left stopped
    supervisor.start(jobs.echo)
    assert supervisor.receive(PATIENCE_S) == "ready"


@pytest.mark.parametrize(("terminate_s", "signal_number"), [(0.0, signal.SIGKILL), (PATIENCE_S, signal.SIGTERM)])
def test_a_child_that_ignores_the_goodbye_is_ended(terminate_s: float, signal_number: int) -> None:
    """terminate_s 0 kills at once; otherwise SIGTERM first (which ends a child that only sleeps)."""
    child = Supervisor("kiosk-test", terminate_s=terminate_s)
    pid = child.start(jobs.deaf)
    assert child.receive(PATIENCE_S) == "ready"
    assert child.stop("bye", 0.05) == -signal_number
    assert exit_text(-signal_number) == f"killed by signal {signal_number}"
    assert gone(pid)


def test_restarts_wait_for_the_pause_on_the_supervisors_clock() -> None:
    now = [100.0]
    child = Supervisor("kiosk-test", restart_pause_s=5.0, clock=lambda: now[0])
    try:
        child.start(jobs.echo)
        assert child.receive(PATIENCE_S) == "ready"
        child.send("die")
        with pytest.raises(ChildDiedError):
            child.receive(PATIENCE_S)
        now[0] += 1.0
        assert child.restart_wait() == 4.0
        with pytest.raises(ChildRestartingError, match=r"in 4\.0 s") as early:
            child.start(jobs.echo)  # a child that dies at once cannot make a crash loop spin
        assert early.value.wait_s == 4.0 and child.pid is None and child.restarts == 0
        now[0] += 4.0
        child.start(jobs.echo)
        assert child.restarts == 1 and child.receive(PATIENCE_S) == "ready"
    finally:
        child.end()


def test_interrupt_ends_a_wait_at_once_and_refuses_later_starts() -> None:
    child = Supervisor("kiosk-test", interruptible=True)
    pid = child.start(jobs.echo)
    assert child.receive(PATIENCE_S) == "ready"
    child.send("hang")
    helper = threading.Thread(target=child.interrupt, name="interrupter")
    helper.start()  # before or during the wait below: either way it ends it, not the timeout
    try:
        with pytest.raises(ChildInterruptedError):
            child.receive(10 * PATIENCE_S)
    finally:
        helper.join()
    assert child.interrupted and child.pid is None and gone(pid)
    with pytest.raises(ChildInterruptedError, match="stopping"):
        child.start(jobs.echo)


def test_a_process_that_cannot_be_made_is_a_start_error(
    supervisor: Supervisor, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: object) -> None:
        raise OSError("process creation is not allowed here")

    monkeypatch.setattr("multiprocessing.context.SpawnProcess.start", refuse)
    with pytest.raises(ChildStartError, match="OSError: process creation is not allowed here"):
        supervisor.start(jobs.echo)
    assert supervisor.pid is None and not supervisor.running


def test_no_child_to_talk_to_is_a_dead_one(supervisor: Supervisor) -> None:
    with pytest.raises(ChildDiedError):
        supervisor.send("anyone?")
    with pytest.raises(ChildDiedError):
        supervisor.receive(PATIENCE_S)
    assert supervisor.end() is None


ORPHAN_PARENT = """
import sys, time
from kiosk.runtime.supervisor import Supervisor
from tests.runtime import jobs
child = Supervisor("kiosk-test")
child.start(jobs.deaf)
assert child.receive(60.0) == "ready"
print(child.pid, flush=True)
time.sleep(3600)
"""


def test_a_child_ends_by_itself_when_the_kiosk_that_started_it_is_killed() -> None:
    """A killed kiosk says no goodbye, and a child busy in a job (here: one that reads nothing) would
    never see its pipe close; left running, it would work beside the restarted kiosk's own child."""
    parent = subprocess.Popen(
        [sys.executable, "-c", ORPHAN_PARENT], stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[2]
    )
    try:
        assert parent.stdout is not None
        orphan = int(parent.stdout.readline())
        assert not gone(orphan)
    finally:
        parent.kill()
        parent.wait()
        if parent.stdout is not None:
            parent.stdout.close()
    wait_until_dead(orphan)


def test_a_child_leaves_ctrl_c_to_the_kiosk(supervisor: Supervisor) -> None:
    """Ctrl-C in a terminal reaches the whole process group: the child carries on (no traceback of
    its own), and ends when the kiosk ends it."""
    pid = supervisor.start(jobs.echo)
    assert supervisor.receive(PATIENCE_S) == "ready"
    os.kill(pid, signal.SIGINT)
    supervisor.send("still there?")
    assert supervisor.receive(PATIENCE_S) == ("echo", "still there?")
