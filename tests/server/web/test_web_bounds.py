"""Edge values in the dashboard's queries are a clear 400/422, never a server error (a day at the end
of the calendar once overflowed the day arithmetic; an id beyond 64 bits overflowed the database)."""

from __future__ import annotations

import pytest

from tests.server.web.support import OFFICE_A, WebClient, logged_in


@pytest.mark.parametrize(
    "path",
    [
        f"/web/o/{OFFICE_A}/overrides?to=0001-01-01",
        f"/web/o/{OFFICE_A}/overrides?from=9999-12-31",
        f"/web/o/{OFFICE_A}/report?day=0001-01-01",
        f"/web/o/{OFFICE_A}/report.csv?day=9999-12-31",
        f"/web/o/{OFFICE_A}/report.pdf?day=0001-01-01",
        f"/web/o/{OFFICE_A}/audit?before=99999999999999999999999",
    ],
)
def test_an_edge_value_is_refused_clearly(client: WebClient, seeded: object, path: str) -> None:
    logged_in(client, "admin_a")
    answer = client.get(path)
    assert answer.status_code in (400, 422), (answer.status_code, answer.text[:300])


def test_a_value_of_the_wrong_kind_is_a_page_naming_the_field(client: WebClient, seeded: object) -> None:
    """A person at a browser reads which field was wrong, on the dashboard's own page (not the API's JSON)."""
    logged_in(client, "admin_a")
    answer = client.get(f"/web/o/{OFFICE_A}/audit?before=yesterday")
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("text/html")
    assert "Not a valid value: before" in answer.text and 'id="error-status"' in answer.text
    assert answer.headers["Content-Security-Policy"]  # the dashboard's headers still apply


def test_the_api_keeps_its_json_for_a_value_of_the_wrong_kind(client: WebClient) -> None:
    answer = client.get("/v1/bookings?since=yesterday")
    assert answer.status_code in (401, 422)
    assert answer.headers["content-type"].startswith("application/json")
