"""Fixtures of the dashboard tests: one seeded database per module and backend, a fresh client per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine

from kiosk.server.app import create_app
from kiosk.server.db import make_engine
from kiosk.server.web.settings import WebSettings
from tests.server.support import fresh_database
from tests.server.web.support import Seeded, WebClient, seed


@pytest.fixture(scope="module")
def web_db(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database(backend, tmp_path_factory.mktemp("web")) as url:
        yield url


@pytest.fixture(scope="module")
def web_app(web_db: str) -> Iterator[FastAPI]:
    engine = make_engine(web_db)
    app = create_app(engine=engine)
    app.state.web.settings = WebSettings(secure_cookies="never")
    app.state.seeded = seed(engine)
    yield app
    engine.dispose()


@pytest.fixture
def seeded(web_app: FastAPI) -> Seeded:
    found: Seeded = web_app.state.seeded
    return found


@pytest.fixture
def client(web_app: FastAPI) -> WebClient:
    return WebClient(web_app)


@pytest.fixture
def engine(web_app: FastAPI) -> Engine:
    found: Engine = web_app.state.web.context.engine
    return found
