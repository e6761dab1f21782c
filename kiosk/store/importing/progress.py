"""Progress of a long import, as numbers for a callback and as lines a person reads.

Apart from the reading and checking because it is about time, not bookings: the importer only calls a
`Progress` callback every PROGRESS_EVERY rows (cheap: a counter; a 200,000-row import calls it about
200 times a pass), and whoever shows it (the CLI) turns the calls into text with `ProgressMeter`, whose
clock is injected so that tests need no wall clock.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

#: Callback for progress: (units done, units in total). Pass 1 counts bytes, pass 2 counts rows.
Progress = Callable[[int, int], None]

#: Progress is reported every this many rows (and at the end), so a million rows cost little.
PROGRESS_EVERY = 1024

_MB = 1_000_000


def format_progress(done: int, total: int | None, seconds: float, unit: str = "rows") -> str:
    """One line of progress: "120,000 of 200,000 rows, 7,400 rows/s, about 11 s left".

    `total` None (or 0) when unknown: then neither "of" nor the time left. `seconds` since the start;
    no rate before any time has passed or anything is done. `unit` "bytes" is shown in MB (the first
    pass counts bytes); any other unit is a count of that name ("rows").
    """
    amount = _amount(done, unit)
    if total:
        amount = f"{_number(done, unit)} of {_amount(total, unit)}"
    if seconds <= 0 or done <= 0:
        return amount
    rate = done / seconds
    line = f"{amount}, {_rate(rate, unit)}"
    if total and done < total:
        line += f", about {_duration((total - done) / rate)} left"
    return line


class ProgressMeter:
    """Turns (done, total) calls into lines, timed by `clock` (seconds; time.monotonic by default).

    On a terminal, draw `line()` at every call (in place). Elsewhere (a log, a pipe) print `due()` when it
    is not None: a line every `every` seconds, and one at the end (done reaching total), never two ends.
    The rate is the average since the meter was made: make one per pass, just before it starts.
    """

    def __init__(self, unit: str = "rows", *, every: float = 5.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.unit = unit
        self.every = every
        self._clock = clock
        self._start = clock()
        self._last = self._start
        self._ended = False

    def line(self, done: int, total: int | None) -> str:
        """The current line, whatever the time since the last one."""
        return format_progress(done, total, self._clock() - self._start, self.unit)

    def due(self, done: int, total: int | None) -> str | None:
        """The current line if `every` seconds have passed since the last one (or the start), or at the
        end; otherwise None. A pass shorter than `every` seconds gives just its last line."""
        now = self._clock()
        ended = bool(total) and done >= (total or 0)
        if self._ended or (not ended and now - self._last < self.every):
            return None
        self._last, self._ended = now, ended
        return format_progress(done, total, now - self._start, self.unit)


def _number(count: int, unit: str) -> str:
    return f"{count / _MB:,.1f}" if unit == "bytes" else f"{count:,}"


def _amount(count: int, unit: str) -> str:
    return f"{_number(count, unit)} {'MB' if unit == 'bytes' else unit}"


def _rate(per_second: float, unit: str) -> str:
    if unit == "bytes":
        return f"{_two_figures(per_second / _MB)} MB/s"
    return f"{_two_figures(per_second)} {unit}/s"


def _two_figures(value: float) -> str:
    """Two significant figures, so that a rate does not flicker: 7,412 -> 7,400; 3.14 -> 3.1."""
    if value <= 0:
        return "0"
    magnitude = math.floor(math.log10(value))
    rounded = round(value, 1 - magnitude)
    return f"{rounded:,.0f}" if magnitude >= 1 else f"{rounded:,.{1 - magnitude}f}"


def _duration(seconds: float) -> str:
    """About how long: "11 s", "4 min", "1 h 05 min"."""
    whole = max(1, round(seconds))
    if whole < 100:
        return f"{whole} s"
    minutes = round(whole / 60)
    if minutes < 100:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"
