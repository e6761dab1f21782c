"""Fixtures: a server process per module and backend (SQLite, PostgreSQL), and its admin side."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.server.support import BACKENDS, Admin, ServerProcess, fresh_database


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def server_db(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database(backend, tmp_path_factory.mktemp("server")) as url:
        yield url


@pytest.fixture(scope="module")
def admin(server_db: str) -> Iterator[Admin]:
    helper = Admin(server_db)
    yield helper
    helper.close()


@pytest.fixture(scope="module")
def server(server_db: str, admin: Admin, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess(server_db, tmp_path_factory.mktemp("log") / "server.log", page_limit=50).start()
    yield process
    process.stop()


@pytest.fixture
def calm_server(server: ServerProcess) -> Iterator[ServerProcess]:
    server.calm()
    yield server
    server.calm()
