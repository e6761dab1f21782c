"""A child program's output line by line, for the relay simulator's tests (tests/relay, tests/cli)."""

from __future__ import annotations

import os
import select
import subprocess
import time


class ProgramOutput:
    """Reads the child's stdout pipe itself (select + os.read), so that no line hides in a buffer."""

    def __init__(self, proc: subprocess.Popen[bytes], patience_s: float = 60.0) -> None:
        assert proc.stdout is not None
        self.fd = proc.stdout.fileno()
        self.pending = b""
        self.patience_s = patience_s

    def line_with(self, text: str) -> str:
        """The next line holding `text` (the deadline only guards against a hang)."""
        deadline = time.monotonic() + self.patience_s
        while time.monotonic() < deadline:
            while b"\n" in self.pending:
                line, self.pending = self.pending.split(b"\n", 1)
                if text in line.decode():
                    return line.decode()
            ready, _, _ = select.select([self.fd], [], [], 1)
            if ready:
                chunk = os.read(self.fd, 4096)
                if not chunk:
                    break
                self.pending += chunk
        raise AssertionError(f"the simulator never printed {text!r}")
