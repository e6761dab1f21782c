"""Scans first, on the CPUs: background work (the sync's process) keeps to one CPU, the thread that
decides and records scans to the others.

Measured on a 2-CPU machine (tests/bench/bench_sync.py, README "Sync"): at the lowest priority
(nice 19, even SCHED_IDLE), two background processes that only compute still made a recorded
decision 1.6-1.8x slower at p95, because the kernel's fair scheduler gives every runnable task its
turn on whichever CPU the deciding thread is on, and moves threads between CPUs. One computing process
kept to the other CPU, with the deciding thread kept off it, cost nothing (p95 ratio 0.95-0.99). So:

* the sync's process confines itself to `background_cpus()`: the last CPU the kiosk may use;
* the database writer's thread (kiosk/workers/db_writer.py), where scans are decided, confines itself
  to `foreground_cpus()`: every other one. Only that thread: the GUI and the QR decoder's process may
  still use every CPU (on a 2-CPU machine, confining them to one would slow them more than the sync
  ever slows them).

With a single CPU, or where the system has no CPU affinity (macOS, Windows), nothing is confined.
Linux's sched_setaffinity(0, ...) applies to the calling thread; threads it starts later inherit it.
`KIOSK_CPU_PARTITION=off` in the environment turns it off (for instance on a machine where the kiosk
is already given its CPUs by the system).
"""

from __future__ import annotations

import logging
import os

log = logging.getLogger(__name__)

ENV_SWITCH = "KIOSK_CPU_PARTITION"


def available_cpus() -> set[int] | None:
    """The CPUs this process may use, or None where the system does not say (no affinity)."""
    getter = getattr(os, "sched_getaffinity", None)
    if getter is None:  # pragma: no cover - macOS, Windows
        return None
    return set(getter(0))


def partition_on() -> bool:
    return os.environ.get(ENV_SWITCH, "on").strip().lower() not in ("off", "0", "no", "false")


def background_cpus(available: set[int] | None) -> set[int] | None:
    """The CPU for background work: the last of `available`; None (no confinement) with fewer than two."""
    if available is None or len(available) < 2:
        return None
    return {max(available)}


def foreground_cpus(available: set[int] | None) -> set[int] | None:
    """The CPUs for the deciding thread: all of `available` but the background one."""
    background = background_cpus(available)
    if available is None or background is None:
        return None
    return available - background


def confine_this_thread(role: str) -> set[int] | None:
    """Keep the calling thread (and the threads it starts later) to the CPUs of `role`, "background" or
    "foreground". Returns the CPUs, or None when nothing was confined (one CPU, no affinity, switched
    off, or refused by the system: never an error, the kiosk works as before)."""
    if not partition_on():
        return None
    available = available_cpus()
    cpus = background_cpus(available) if role == "background" else foreground_cpus(available)
    if cpus is None:
        return None
    try:
        os.sched_setaffinity(0, cpus)
    except OSError as exc:  # pragma: no cover - refused (a container's CPU set changed meanwhile)
        log.warning("cannot keep the %s work to CPU %s: %s", role, _listed(cpus), exc)
        return None
    log.debug("%s work on CPU %s", role, _listed(cpus))
    return cpus


def _listed(cpus: set[int]) -> str:
    return ", ".join(str(cpu) for cpu in sorted(cpus))
