"""The same server fixtures as tests/server (one server process per module and backend)."""

from __future__ import annotations

from tests.server.conftest import admin, backend, calm_server, server, server_db

__all__ = ["admin", "backend", "calm_server", "server", "server_db"]
