"""Request body limits (issue 13), on a real server process over raw sockets, so that what the server
reads is under the test's control: a declared length above the route's limit is refused before a
byte of the body is sent; a chunked body is refused as soon as it passes the limit, without its end;
a stream far larger than any limit ends early, and the server's memory never held it. The limits are
the command line's (`--max-events-kb`, `--max-body-kb`, `--max-open-kb`). Every route is covered by
tests/server/test_bounds.py (test_route_refuses_oversize_body).
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from kiosk.server.limits import BodyLimits
from tests.server.support import Admin, ServerProcess

#: A safety net against a hung test, never a measurement.
SOCKET_TIMEOUT_S = 30


def raw_exchange(url: str, head: str, body: bytes = b"") -> tuple[int, bytes, bool]:
    """Send `head` (request line and headers, without the blank line) and `body`; read until the server
    closes or the answer is complete. (status, answer bytes, whether the server closed the connection)."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=SOCKET_TIMEOUT_S) as sock:
        sock.sendall(head.encode("latin-1") + b"\r\n\r\n" + body)
        received = b""
        closed = False
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                closed = True
                break
            if not chunk:
                closed = True
                break
            received += chunk
            header_end = received.find(b"\r\n\r\n")
            if header_end >= 0:
                length = _content_length(received[:header_end])
                if (
                    length is not None
                    and len(received) >= header_end + 4 + length
                    and b"connection: close" not in received[:header_end].lower()
                ):
                    break
    status = int(received.split(b" ", 2)[1]) if received else 0
    return status, received, closed


def _content_length(head: bytes) -> int | None:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return None


def _head(method: str, path: str, *extra: str) -> str:
    return "\r\n".join([f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json", *extra])


def _vm_hwm_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


@pytest.fixture(scope="module")
def small_server(server_db: str, admin: Admin, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server with its limits set on the command line: events 4 KiB, other kiosk routes 2, open routes 1."""
    extra = ["--max-events-kb", "4", "--max-body-kb", "2", "--max-open-kb", "1"]
    process = ServerProcess(server_db, tmp_path_factory.mktemp("log") / "small.log", extra=extra).start()
    yield process
    process.stop()


def test_defaults() -> None:
    limits = BodyLimits()
    assert limits.for_path("/v1/events") == 1024 * 1024
    assert limits.for_path("/v1/check") == limits.for_path("/v1/bookings") == 64 * 1024
    assert limits.for_path("/v1/enrol") == limits.for_path("/v1/time") == limits.for_path("/healthz") == 8 * 1024
    assert limits.for_path("/nowhere") == 8 * 1024
    with pytest.raises(ValueError):
        BodyLimits(events=0)


@pytest.mark.parametrize(
    ("path", "limit"), [("/v1/events", 4096), ("/v1/check", 2048), ("/v1/enrol", 1024), ("/v1/time", 1024)]
)
def test_limits_from_the_command_line(small_server: ServerProcess, path: str, limit: int) -> None:
    """A body one byte over the configured limit is 413 (its length declared; the body sent whole);
    a body at the limit is read and answered by the route (not 413)."""
    method = "GET" if path == "/v1/time" else "POST"
    over = b" " * (limit + 1)
    status, answer, closed = raw_exchange(small_server.url, _head(method, path, f"Content-Length: {len(over)}"), over)
    assert status == 413 and closed, answer[:300]
    body = json.loads(answer.split(b"\r\n\r\n", 1)[1])
    assert body["error"] == "request_too_large" and body["server_time"]
    at = b"{}" + b" " * (limit - 2)
    status, answer, _ = raw_exchange(
        small_server.url, _head(method, path, f"Content-Length: {len(at)}", "Connection: close"), at
    )
    assert status not in (413, 0), answer[:300]
    assert status in (200, 401, 422), answer[:300]


def test_declared_length_refused_before_the_body(calm_server: ServerProcess) -> None:
    """Content-Length of a gigabyte and no body sent: 413 and the connection closed, without waiting."""
    for path in ("/v1/events", "/v1/check", "/v1/enrol", "/v1/bookings"):
        method = "GET" if path == "/v1/bookings" else "POST"
        status, answer, closed = raw_exchange(calm_server.url, _head(method, path, "Content-Length: 1073741824"))
        assert (status, closed) == (413, True), (path, answer[:300])
    status, _, closed = raw_exchange(calm_server.url, _head("POST", "/v1/enrol", "Content-Length: nonsense"))
    assert status in (400, 413) and closed


def test_chunked_body_refused_once_past_the_limit(calm_server: ServerProcess) -> None:
    """A chunked enrolment one byte past 8 KiB, whose end is never sent: 413 and closed all the same."""
    chunk = b" " * (8 * 1024 + 1)
    body = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"  # no terminating chunk: the body never ends
    status, answer, closed = raw_exchange(
        calm_server.url, _head("POST", "/v1/enrol", "Transfer-Encoding: chunked"), body
    )
    assert (status, closed) == (413, True), answer[:300]
    assert httpx.get(f"{calm_server.url}/v1/time").status_code == 200


def test_a_large_stream_ends_early(calm_server: ServerProcess) -> None:
    """256 MiB streamed (chunked) at the event upload: the server stops reading long before the end,
    its memory never held the stream, and it goes on answering."""
    pid = calm_server.pid
    before = _vm_hwm_kib(pid)
    total = 256 * 1024 * 1024
    piece = b"[" * (256 * 1024)
    chunk = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    parts = urlsplit(calm_server.url)
    sent = 0
    answer = b""
    with socket.create_connection((parts.hostname, parts.port), timeout=SOCKET_TIMEOUT_S) as sock:
        sock.sendall(_head("POST", "/v1/events", "Transfer-Encoding: chunked").encode() + b"\r\n\r\n")
        try:
            while sent < total:
                sock.sendall(chunk)
                sent += len(piece)
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            answer = sock.recv(65536)
        except ConnectionResetError:
            answer = b""
    assert sent < total // 4, f"the server read {sent} bytes of a body it refuses"
    assert answer == b"" or answer.startswith(b"HTTP/1.1 413"), answer[:200]
    grown_kib = _vm_hwm_kib(pid) - before
    assert grown_kib < 64 * 1024, f"the server's peak memory grew by {grown_kib} KiB"
    assert httpx.get(f"{calm_server.url}/v1/time").status_code == 200


def test_event_upload_within_the_limit(calm_server: ServerProcess) -> None:
    """Half a MiB of upload is read (and refused as a request, not for its size): a full batch of
    events fits."""
    status, answer, _ = raw_exchange(
        calm_server.url,
        _head("POST", "/v1/events", f"Content-Length: {512 * 1024}", "Connection: close"),
        b"{}" + b" " * (512 * 1024 - 2),
    )
    assert status in (401, 422), answer[:200]  # no token, no events: refused after the size was found fine
