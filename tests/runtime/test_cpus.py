"""The CPU partition: background work on the last CPU, the deciding thread on the others."""

from __future__ import annotations

import os
import threading

import pytest

from kiosk.runtime import cpus


@pytest.mark.parametrize(
    ("available", "background", "foreground"),
    [
        (None, None, None),  # the system does not say (no affinity)
        ({0}, None, None),  # one CPU: nothing to keep apart
        ({0, 1}, {1}, {0}),
        ({0, 1, 2, 3}, {3}, {0, 1, 2}),
        ({2, 5}, {5}, {2}),  # a container given CPUs 2 and 5
    ],
)
def test_background_gets_the_last_cpu_and_the_deciding_thread_the_others(
    available: set[int] | None, background: set[int] | None, foreground: set[int] | None
) -> None:
    assert cpus.background_cpus(available) == background
    assert cpus.foreground_cpus(available) == foreground


@pytest.mark.parametrize(("value", "on"), [(None, True), ("on", True), ("off", False), ("0", False), ("No", False)])
def test_the_partition_can_be_switched_off(monkeypatch: pytest.MonkeyPatch, value: str | None, on: bool) -> None:
    if value is None:
        monkeypatch.delenv(cpus.ENV_SWITCH, raising=False)
    else:
        monkeypatch.setenv(cpus.ENV_SWITCH, value)
    assert cpus.partition_on() is on


def _in_a_thread(role: str) -> tuple[set[int] | None, set[int]]:
    seen: list[tuple[set[int] | None, set[int]]] = []
    thread = threading.Thread(target=lambda: seen.append((cpus.confine_this_thread(role), os.sched_getaffinity(0))))
    thread.start()
    thread.join()
    return seen[0]


@pytest.mark.parametrize("role", ["foreground", "background"])
def test_confining_applies_to_the_calling_thread_only(role: str) -> None:
    available = cpus.available_cpus()
    assert available is not None  # Linux, as the kiosk ships
    expected = cpus.foreground_cpus(available) if role == "foreground" else cpus.background_cpus(available)
    returned, affinity = _in_a_thread(role)
    assert returned == expected
    assert affinity == (expected or available)
    assert os.sched_getaffinity(0) == available  # the caller's thread (and so the test process) untouched


def test_switched_off_nothing_is_confined(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cpus.ENV_SWITCH, "off")
    returned, affinity = _in_a_thread("foreground")
    assert returned is None
    assert affinity == cpus.available_cpus()
