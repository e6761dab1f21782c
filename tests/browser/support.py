"""The browser tests' pieces that need no pytest fixture (the scale benchmark's --http uses them too):
the real server in a child process, accounts made with the CLI, logging in over plain HTTP, the pages
by name, Chromium's path and flags.

The server is `python -m kiosk.server.cli --db URL run --port 0 --workers N` (uvicorn in child
processes), as tests/server/support.py's ServerProcess starts it, but without the fault layer.
"""

from __future__ import annotations

import os
import re
import selectors
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
#: Debian's Chromium (scripts/bootstrap installs the `chromium` package); never a browser of Playwright's own.
CHROMIUM = Path(os.environ.get("KIOSK_TEST_CHROMIUM", "/usr/bin/chromium"))
#: This machine's closed network refuses connections other than loopback: nothing may phone home.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "build" / "screenshots" / "web"
SIZES = ((1366, 768), (1920, 1080))
PREFIX = "/web"

ROLES = ("office_admin", "office_viewer", "national_auditor")

#: The pages of one office as a national auditor reads them, by name (paths of kiosk/server/web/routes_*.py);
#: {office}, {yesterday} and {ref} (a booking reference) are filled in. The benchmark's --http times these.
WEB_PAGES = {
    "offices": f"{PREFIX}/offices",
    "kiosks": f"{PREFIX}/o/{{office}}/kiosks",
    "today": f"{PREFIX}/o/{{office}}/today",
    "overrides (default range)": f"{PREFIX}/o/{{office}}/overrides",
    "overrides (a year)": f"{PREFIX}/o/{{office}}/overrides?from={{year_ago}}&to={{yesterday}}",
    "overrides (a year, filtered)": (
        f"{PREFIX}/o/{{office}}/overrides?from={{year_ago}}&to={{yesterday}}&gate=G2&guard=G2+%233&reason=ID_CHECKED"
    ),
    "report (yesterday)": f"{PREFIX}/o/{{office}}/report?day={{yesterday}}",
    "report.csv (yesterday)": f"{PREFIX}/o/{{office}}/report.csv?day={{yesterday}}",
    "report.pdf (yesterday)": f"{PREFIX}/o/{{office}}/report.pdf?day={{yesterday}}",
    "bookings search": f"{PREFIX}/o/{{office}}/bookings?ref={{ref}}",
    "admin log (office)": f"{PREFIX}/o/{{office}}/audit",
    "admin log (national)": f"{PREFIX}/audit",
}


def missing(what: str) -> None:
    """A browser test without its browser FAILS in CI (CI set) and is skipped on a developer's machine."""
    message = f"{what}: run scripts/bootstrap (it installs Debian's chromium and the playwright package)"
    if os.environ.get("CI"):
        pytest.fail(f"browser tests must run in CI: {message}")
    pytest.skip(message)


def chromium_path() -> Path:
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        found = shutil.which("chromium")
        if found is None:
            missing(f"no Chromium at {CHROMIUM}")
        return Path(found or "")
    return CHROMIUM


def server_cli(db_url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """`kiosk server ARGS` on the database, as an office's IT person types it."""
    return subprocess.run(
        [sys.executable, "-m", "kiosk.server.cli", "--db", db_url, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def add_user(db_url: str, username: str, role: str, office: str | None, password: str) -> None:
    """`kiosk server user add USERNAME --role ROLE [--office OFFICE] --password-stdin`
    (kiosk/server/cli_users.py), the password on standard input, as an office's IT person makes one."""
    args = ["user", "add", username, "--role", role, "--password-stdin"]
    if office:
        args += ["--office", office]
    done = server_cli(db_url, *args, stdin=password + "\n")
    if done.returncode != 0:
        raise AssertionError(f"kiosk server {' '.join(args)} failed ({done.returncode}): {done.stderr or done.stdout}")


class ServerUnderTest:
    """`kiosk server run` on a free loopback port (uvicorn in child processes, `workers` of them), as a
    context manager. Unlike tests/server/support.py's ServerProcess, without the fault layer (which
    runs in one worker only), so that it can run several workers."""

    def __init__(self, db_url: str, log_path: Path, *, workers: int = 1, env: dict[str, str] | None = None) -> None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self.db_url, self.log_path, self.workers = db_url, log_path, workers
        self.env = {**os.environ, **(env or {})}
        self.url = ""
        self._process: subprocess.Popen[str] | None = None

    def start(self) -> ServerUnderTest:
        # with several workers uvicorn prints no port: take a free one and wait for /healthz
        port = _free_port() if self.workers > 1 else 0
        command = [sys.executable, "-m", "kiosk.server.cli", "--db", self.db_url, "run", "--host", "127.0.0.1",
                   "--port", str(port), "--workers", str(self.workers)]  # fmt: skip
        with self.log_path.open("a", encoding="utf-8") as log:
            self._process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True, env=self.env)
        assert self._process.stdout is not None
        if port:
            self.url = f"http://127.0.0.1:{port}"
            if not self._healthy(deadline=time.monotonic() + 90):
                self.stop()
                raise RuntimeError(f"server did not start: {self.log_path.read_text()[-2000:]}")
            return self
        with selectors.DefaultSelector() as selector:
            selector.register(self._process.stdout, selectors.EVENT_READ)
            ready = selector.select(timeout=60)
        line = self._process.stdout.readline() if ready else ""
        if "listening on" not in line:
            self.stop()
            raise RuntimeError(f"server did not start: {line} {self.log_path.read_text()[-2000:]}")
        self.url = line.rsplit(" ", 1)[1].strip()
        return self

    def _healthy(self, deadline: float) -> bool:
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                return False
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return True
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        return False

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        if process.stdout is not None:
            process.stdout.close()

    def __enter__(self) -> ServerUnderTest:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


_HIDDEN = re.compile(r'name="csrf_token"\s+value="([^"]+)"')


def csrf_token_of(html: str) -> str:
    found = _HIDDEN.search(html)
    if found is None:
        raise AssertionError("no csrf_token field on the page")
    return found.group(1)


def log_in_http(client: httpx.Client, username: str, password: str) -> httpx.Response:
    """Log in through the login form (its CSRF token and cookie) with a plain HTTP client."""
    form = client.get(f"{PREFIX}/login")
    form.raise_for_status()
    response = client.post(
        f"{PREFIX}/login",
        data={"csrf_token": csrf_token_of(form.text), "username": username, "password": password, "next": ""},
    )
    if response.status_code != 303:
        raise AssertionError(f"login as {username} refused: HTTP {response.status_code}")
    return response


#: Chromium's own refusal, now and then under load, right after the viewport changed (seen once in a
#: fresh-clone CI run): the page is fine (its checks passed before); the picture is taken again.
UNABLE_TO_CAPTURE = "Unable to capture screenshot"


def _screenshot(page: Any, path: Path, tries: int = 3) -> None:
    for attempt in range(1, tries + 1):
        try:
            page.screenshot(path=str(path), full_page=True)
            return
        except Exception as exc:  # playwright's Error
            if UNABLE_TO_CAPTURE not in str(exc) or attempt == tries:
                raise
            page.wait_for_timeout(250 * attempt)  # a frame or two for the compositor, then again


def shoot(page: Any, name: str) -> list[Path]:
    """Screenshots of the page at each size (SIZES) into build/screenshots/web/NAME-WxH.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    taken = []
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        path = SCREENSHOTS / f"{name}-{width}x{height}.png"
        _screenshot(page, path)
        taken.append(path)
    if original:
        page.set_viewport_size(original)
    return taken
