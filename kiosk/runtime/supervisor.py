"""One child process that does one job over a pipe, replaced when it dies or hangs.

The kiosk keeps work that must not stall or crash it in child processes: the QR decoders (a native
decoder that hangs, crashes or holds the GIL; kiosk/vision/isolated.py) and the sync (its own GIL and
a low priority; kiosk/sync/process.py). Both need the same upkeep, which lives here:

* start a child with multiprocessing's "spawn" (fork would copy the GUI's threads and locks), a Pipe
  to talk over, as a daemon (multiprocessing ends it when the kiosk exits), under an empty `__main__`
  (bare_main) so the child imports only what its job needs, and with a watch in the child that ends
  it when the kiosk is gone (killed: no goodbye, and a child mid-job would not read its pipe's end);
* wait for its next message with a timeout, watching the process itself too: a child that died is
  noticed at once (after what it sent before dying has been read), one that stays silent for the
  timeout is hung. Either way it is ended and forgotten, and the caller is told why (ChildDiedError,
  ChildSilentError); the next start() makes a new one. A message that cannot be sent means a dead
  child too;
* optionally, space restarts `restart_pause_s` apart (from the last start, on an injectable clock), so
  that a child that dies at once cannot make a crash loop spin (ChildRestartingError until then);
* optionally, interrupt() from any thread: the wait under way ends at once (ChildInterruptedError; a
  byte on a pipe of its own wakes it, where there are pipes), the child is ended, and no more starts;
* stop(): ask the child to end (a goodbye message), end it if it does not in time; end(): at once.

What the messages mean (a hello, requests, answers, log records, progress notes) stays with the users.
No threads are started here (the child's parent watch runs in the child): every wait happens on the
caller's thread.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
import time
import types
import weakref
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NoReturn

POLL_S = 0.1  # how often an interruptible wait looks at interrupt() where it cannot be woken (no pipes)
KILL_WAIT_S = 2.0  # for a child to go after SIGKILL (or SIGTERM), and to be reaped when it died by itself
DIED_WAIT_S = 1.0  # for the exit code of a child whose pipe closed
PARENT_WATCH_S = 1.0  # how often a child looks whether the kiosk that started it is still there
EXIT_ORPHANED = 75  # a child's exit code when it ended because the kiosk was gone


class ChildError(Exception):
    """The child is no longer there (ended and forgotten), or could not be started. `pid` is the one it had."""

    def __init__(self, message: str, pid: int | None = None) -> None:
        super().__init__(message)
        self.pid = pid


class ChildDiedError(ChildError):
    """The child ended by itself (a crash, kill -9) or its pipe broke."""

    def __init__(self, message: str, pid: int | None = None, exitcode: int | None = None) -> None:
        super().__init__(message, pid)
        self.exitcode = exitcode


class ChildSilentError(ChildError):
    """The child did not speak within the timeout: hung. It was ended."""


class ChildInterruptedError(ChildError):
    """interrupt() was called: the child was ended and none starts any more."""


class ChildStartError(ChildError):
    """No process could be made (spawn refused, arguments that cannot be pickled)."""


class ChildRestartingError(ChildError):
    """The restart pause has not passed yet; `wait_s` seconds are left."""

    def __init__(self, wait_s: float) -> None:
        super().__init__(f"the next start is in {wait_s:.1f} s")
        self.wait_s = wait_s


def exit_text(code: int | None) -> str:
    """A child's exit code in words: "exit code 3", "killed by signal 9", "still running"."""
    if code is None:
        return "still running"
    return f"killed by signal {-code}" if code < 0 else f"exit code {code}"


class Supervisor:
    """The parent's side of one child process at a time: started, listened to, ended. Calls come from one
    thread; interrupt() may come from any.

    `terminate_s`: how long a child gets to end after SIGTERM before SIGKILL; 0 kills at once (a child
    stuck in native code, or stopped, never ends on SIGTERM)."""

    def __init__(
        self,
        name: str,
        *,
        restart_pause_s: float = 0.0,
        terminate_s: float = 0.0,
        interruptible: bool = False,
        poll_s: float = POLL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.restart_pause_s = restart_pause_s
        self.terminate_s = terminate_s
        self.poll_s = poll_s
        self.restarts = 0
        self._clock = clock
        self._process: Any = None  # multiprocessing's SpawnProcess
        self._conn: multiprocessing.connection.Connection | None = None
        self._last_start: float | None = None
        self._interrupted = threading.Event()
        #: interrupt() writes a byte here, so that a waiting call wakes at once instead of looking at the
        #: event every `poll_s`: each look would wake a thread of the kiosk's process, which then takes the
        #: GIL from a scan being decided. (Without pipes, as on Windows, it still polls.)
        self._wake: tuple[int, int] | None = None
        if interruptible and os.name == "posix":
            self._wake = os.pipe()
            os.set_blocking(self._wake[1], False)
            weakref.finalize(self, _close_fds, self._wake)
        self._interruptible = interruptible

    @property
    def pid(self) -> int | None:
        """The child's process id, from its start until it is ended (it may have died unnoticed meanwhile)."""
        process = self._process
        return int(process.pid) if process is not None and process.pid is not None else None

    @property
    def running(self) -> bool:
        """A child was started, has not been ended, and is alive."""
        return self._process is not None and self._process.is_alive()

    @property
    def interrupted(self) -> bool:
        return self._interrupted.is_set()

    def restart_wait(self) -> float:
        """Seconds until a new child may start (0: now)."""
        if self._last_start is None:
            return 0.0
        return max(0.0, self._last_start + self.restart_pause_s - self._clock())

    def start(self, target: Callable[..., None], args: Sequence[Any] = ()) -> int:
        """Start a child running `target(conn, *args)` (module-level: spawn pickles it by name), after
        ending the one before if any. Its pid. Every start after the first counts as a restart and waits
        for the restart pause (ChildRestartingError until then). Raises ChildStartError, ChildInterruptedError."""
        if self.interrupted:
            raise ChildInterruptedError(f"the {self.name} process is stopping")
        self.end()
        if self._last_start is not None:
            wait = self.restart_wait()
            if wait > 0:
                raise ChildRestartingError(wait)
            self.restarts += 1
        self._last_start = self._clock()
        context = multiprocessing.get_context("spawn")
        parent_end, child_end = context.Pipe()
        try:
            process = context.Process(
                target=child_main, args=(target, os.getpid(), child_end, *args), name=self.name, daemon=True
            )
            with bare_main():
                process.start()
        except Exception as exc:
            parent_end.close()
            raise ChildStartError(f"{type(exc).__name__}: {exc}") from exc
        finally:
            child_end.close()
        self._process, self._conn = process, parent_end
        assert process.pid is not None  # set by a start that did not raise
        return process.pid

    def send(self, message: Any) -> None:
        """Send to the child. A pipe that broke (the child died) ends it: ChildDiedError."""
        conn, pid = self._conn, self.pid
        if conn is None:
            raise ChildDiedError(f"no {self.name} process", pid)
        try:
            conn.send(message)
        except (OSError, ValueError) as exc:
            code = self.end()
            raise ChildDiedError(str(exc), pid, code) from exc

    def receive(self, timeout_s: float) -> Any:
        """The child's next message. Ends the child and raises ChildSilentError when none comes within
        `timeout_s`, ChildDiedError when it ends first, ChildInterruptedError on interrupt()."""
        process, conn, pid = self._process, self._conn, self.pid
        if process is None or conn is None:
            raise ChildDiedError(f"no {self.name} process", pid)
        deadline = self._clock() + timeout_s
        while True:
            if self.interrupted:
                self.end()
                raise ChildInterruptedError(f"the {self.name} process was interrupted", pid)
            left = deadline - self._clock()
            if left <= 0:
                self.end()
                raise ChildSilentError(f"no word from the {self.name} process within {timeout_s:.1f} s", pid)
            ready = self._ready(conn, process.sentinel, left)
            if conn in ready or (process.sentinel in ready and conn.poll()):
                try:
                    return conn.recv()
                except (EOFError, OSError):
                    self._died(pid)
            elif process.sentinel in ready:  # ended without a word
                self._died(pid)

    def interrupt(self) -> None:
        """From any thread: end the wait under way at once (the child is ended) and refuse later starts."""
        self._interrupted.set()
        if self._wake is not None:
            with contextlib.suppress(OSError):  # full (interrupted before) or closed: it is set either way
                os.write(self._wake[1], b"!")

    def stop(self, goodbye: Any, timeout_s: float) -> int | None:
        """Send `goodbye` to a live child and give it `timeout_s` to end by itself; then end() it. Its
        exit code (None when there was no child)."""
        process, conn = self._process, self._conn
        if process is not None and conn is not None and process.is_alive():
            with contextlib.suppress(OSError, ValueError):
                conn.send(goodbye)
                process.join(timeout_s)
        return self.end()

    def end(self) -> int | None:
        """End the child now (if it still runs), reap it and forget it. Its exit code, if there was one."""
        process, conn = self._process, self._conn
        self._process = self._conn = None
        if conn is not None:
            conn.close()
        if process is None:
            return None
        if process.is_alive() and self.terminate_s > 0:
            process.terminate()
            process.join(self.terminate_s)
        if process.is_alive():
            process.kill()
        process.join(KILL_WAIT_S)
        code: int | None = process.exitcode
        with contextlib.suppress(ValueError):  # still running after all: the OS reaps it at exit
            process.close()
        return code

    def _ready(self, conn: multiprocessing.connection.Connection, sentinel: int, left: float) -> list[Any]:
        """Which of the child's pipe and sentinel are ready within `left` seconds; none when interrupt()
        was called meanwhile, which wakes this at once (see _wake)."""
        if self._wake is not None:
            ready = multiprocessing.connection.wait([conn, sentinel, self._wake[0]], left)
            return [] if self.interrupted else ready
        if self._interruptible:
            return multiprocessing.connection.wait([conn, sentinel], min(self.poll_s, left))
        return multiprocessing.connection.wait([conn, sentinel], left)

    def _died(self, pid: int | None) -> NoReturn:
        process = self._process
        code = None
        if process is not None:
            process.join(DIED_WAIT_S)
            code = process.exitcode  # None: it still runs after all (a pipe that broke by itself)
        self.end()
        raise ChildDiedError(f"the {self.name} process ended ({exit_text(code)})", pid, code)


def _close_fds(fds: tuple[int, ...]) -> None:
    for fd in fds:
        with contextlib.suppress(OSError):
            os.close(fd)


_MAIN_LOCK = threading.Lock()


@contextlib.contextmanager
def bare_main() -> Iterator[None]:
    """While a child is started: an empty `__main__`, so that multiprocessing's "spawn" does not run
    the kiosk's main module again in the child.

    Spawn imports the parent's main module in the child before it unpickles the target (found by its
    own module's name, which needs nothing of `__main__`). For `kiosk run` that module is the `kiosk`
    console script, which imports the whole command line: SQLAlchemy, Alembic, httpx, pydantic,
    cryptography (and PySide6 for a main module that imports kiosk.app, as the benchmarks do).
    Measured: the decoder process held 120 MB resident that way (190 MB under a main that imports
    Qt), about 50 MB without (docs/field-figures.md)."""
    with _MAIN_LOCK:
        main = sys.modules.get("__main__")
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            yield
        finally:
            if main is not None:
                sys.modules["__main__"] = main
            else:
                del sys.modules["__main__"]


def child_main(target: Callable[..., None], parent_pid: int, conn: Any, *args: Any) -> None:
    """The child's entry: watch the parent, then do the job. Ctrl-C in a terminal reaches the whole
    process group; the kiosk decides how its children end (a KeyboardInterrupt here only printed a
    traceback beside the kiosk's clean stop)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    watch_parent(parent_pid)
    target(conn, *args)


def watch_parent(parent_pid: int, every_s: float = PARENT_WATCH_S) -> threading.Thread:
    """End this process when `parent_pid` is no longer its parent (the kiosk was killed; a restarted
    kiosk starts its own child, and two sync processes must not work one database). A child busy in a
    job (a sync waiting on the network, a decoder in a native call) would not notice the pipe close."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(every_s)
        os._exit(EXIT_ORPHANED)

    thread = threading.Thread(target=watch, name="parent-watch", daemon=True)
    thread.start()
    return thread
