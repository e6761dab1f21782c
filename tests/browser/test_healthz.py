"""The harness itself: the real server's /healthz in Debian's Chromium, and its screenshots."""

from __future__ import annotations

import json
from typing import Any

from tests.browser.conftest import Web
from tests.browser.support import shoot


def test_healthz_in_chromium(page: Any, web: Web) -> None:
    response = page.goto("/healthz")
    assert response is not None and response.status == 200
    body = json.loads(page.inner_text("body"))
    assert body["status"] == "ok"
    shots = shoot(page, "healthz")
    assert [path.name for path in shots] == ["healthz-1366x768.png", "healthz-1920x1080.png"]
    assert all(path.stat().st_size > 1000 for path in shots)
    version = page.context.browser.version
    assert version.split(".")[0].isdigit(), version
