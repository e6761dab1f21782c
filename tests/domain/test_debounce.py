"""Debouncer: repeat reads of one code are one presentation; time is a parameter, nothing sleeps."""

from __future__ import annotations

import pytest

from kiosk.domain.debounce import Debouncer

WINDOW = 3.0


def presentations(debouncer: Debouncer, reads: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """The reads that start a new presentation."""
    return [(key, at) for key, at in reads if debouncer.is_new_presentation(key, at)]


def test_code_held_ten_seconds_read_every_100_ms_is_one_presentation() -> None:
    reads = [("MP7KQ2XAT3M9", 1000 + n / 10) for n in range(101)]  # 0.0 s .. 10.0 s
    assert presentations(Debouncer(WINDOW), reads) == [("MP7KQ2XAT3M9", 1000.0)]


def test_window_slides_while_the_code_stays_in_view() -> None:
    reads = [("A", n * 2.5) for n in range(13)]  # 30 s, each gap shorter than the window
    assert presentations(Debouncer(WINDOW), reads) == [("A", 0.0)]


@pytest.mark.parametrize(
    ("gap", "new"),
    [
        pytest.param(0.0, False, id="same-instant"),
        pytest.param(WINDOW - 0.001, False, id="just-inside"),
        pytest.param(WINDOW, False, id="exactly-the-window"),
        pytest.param(WINDOW + 0.001, True, id="just-over"),
        pytest.param(60.0, True, id="a-minute-later"),
    ],
)
def test_same_code_after_a_gap(gap: float, new: bool) -> None:
    debouncer = Debouncer(WINDOW)
    assert debouncer.is_new_presentation("A", 500.0)
    assert debouncer.is_new_presentation("A", 500.0 + gap) is new


def test_gap_longer_than_window_starts_a_new_presentation_each_time() -> None:
    reads = [("A", 0.0), ("A", 0.1), ("A", 5.0), ("A", 5.1), ("A", 9.0)]
    assert presentations(Debouncer(WINDOW), reads) == [("A", 0.0), ("A", 5.0), ("A", 9.0)]


def test_different_codes_are_independent() -> None:
    reads = [("A", 0.0), ("B", 0.1), ("A", 0.2), ("B", 0.3), ("C", 0.4), ("A", 2.9), ("B", 3.2)]
    assert presentations(Debouncer(WINDOW), reads) == [("A", 0.0), ("B", 0.1), ("C", 0.4)]


def test_another_code_in_between_does_not_reset_the_first() -> None:
    debouncer = Debouncer(WINDOW)
    assert debouncer.is_new_presentation("A", 0.0)
    assert debouncer.is_new_presentation("B", 1.0)
    assert not debouncer.is_new_presentation("A", 2.0)


@pytest.mark.parametrize("back", [0.001, 1.0, 3600.0], ids=["1ms", "1s", "1h"])
def test_clock_going_backwards_counts_as_new(back: float) -> None:
    debouncer = Debouncer(WINDOW)
    assert debouncer.is_new_presentation("A", 100.0)
    assert debouncer.is_new_presentation("A", 100.0 - back)
    assert not debouncer.is_new_presentation("A", 100.0 - back + 0.1)


def test_zero_window_makes_every_later_read_new() -> None:
    reads = [("A", 0.0), ("A", 0.0), ("A", 0.1), ("A", 0.2)]
    assert presentations(Debouncer(0.0), reads) == [("A", 0.0), ("A", 0.1), ("A", 0.2)]


def test_forgetting_old_codes_never_forgets_one_still_in_view() -> None:
    debouncer = Debouncer(WINDOW, max_remembered=2)
    for n, key in enumerate("ABCDE"):
        assert debouncer.is_new_presentation(key, n / 10)
    assert not debouncer.is_new_presentation("A", 0.5)


def test_forgotten_code_after_window_is_new() -> None:
    debouncer = Debouncer(WINDOW, max_remembered=2)
    assert debouncer.is_new_presentation("A", 0.0)
    for n, key in enumerate("BCDEFG"):
        debouncer.is_new_presentation(key, 10.0 + n)
    assert debouncer.is_new_presentation("A", 20.0)


def test_many_codes_over_time_keep_memory_bounded() -> None:
    """A burst of probing codes spread over time must not grow the memory without limit."""
    debouncer = Debouncer(WINDOW, max_remembered=8)
    for n in range(1000):
        debouncer.is_new_presentation(f"CODE{n:06d}", n * 1.0)
    assert len(debouncer._last_seen) <= 8
