"""The text forms of times both the kiosk and the server print (kiosk/formats/times.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk.formats.times import duration_text, from_text, to_text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 s"),
        (119, "119 s"),
        (120, "2 min"),
        (7199, "119 min"),
        (7200, "2 h"),
        (172799, "47 h"),
        (172800, "2 days"),
        (-5, "in the future (clock set back?)"),
    ],
)
def test_duration_text(seconds: int, text: str) -> None:
    assert duration_text(dt.timedelta(seconds=seconds)) == text


def test_times_go_to_text_and_back() -> None:
    moment = dt.datetime(2026, 12, 6, 10, 5, 30, tzinfo=dt.UTC)
    assert from_text(to_text(moment)) == moment
