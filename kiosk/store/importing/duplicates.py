"""Lines that share a booking code or a booking reference, found in the first pass with little memory.

Apart because it is the one rule that spans rows. For each row the first pass keeps three 8-byte digests
(its code, its reference, and its whole content) and its line number, in arrays; sorting finds the
repeated ones. Then:
* lines that agree in every field (an exact duplicate: an export that repeats a row, or a file joined
  with itself) are one booking: the first line is imported, the others are counted once and noted;
* lines that share a code or a reference but differ in anything else conflict: which of them is right
  cannot be known, and a code must never admit on the wrong booking's details, so every one of them is
  refused (also the lines that agree with each other, when another line with the same key differs).
"Every field" means every column the kiosk keeps, as written after trimming spaces, with the code in its
canonical form (MP7K-4Q9X-H2PT and mp7k4q9xh2pt are the same code); 8:00 and 08:00 differ.
"""

from __future__ import annotations

import hashlib
import itertools
from array import array
from collections.abc import Mapping
from dataclasses import dataclass, field

from kiosk.domain.payload import PayloadKind, mask_code, parse_payload
from kiosk.store.bookings import IncomingBooking
from kiosk.store.importing.fields import RowError

#: At most this many groups of lines are listed in the note about exact duplicates.
NOTE_GROUPS = 20


@dataclass(frozen=True, slots=True)
class Duplicates:
    """What the first pass found: conflicting keys with their lines, and exact copies to skip."""

    #: For each digest of a code or reference whose lines disagree: those lines, in order.
    conflicts: Mapping[int, list[int]] = field(default_factory=dict)
    #: Lines that repeat an earlier line exactly (and conflict with none): counted once, not imported again.
    copies: frozenset[int] = frozenset()
    #: Each set of exactly equal lines, in line order (the first of each is imported).
    exact_groups: tuple[tuple[int, ...], ...] = ()

    def refuse_conflicts(self, incoming: IncomingBooking, line: int) -> None:
        """Raise RowError if the row's code or reference is also on a line that says otherwise."""
        if not self.conflicts:
            return
        for kind, key, shown in (
            ("code", digest("c", incoming.code), mask_code(incoming.code)),
            ("booking_ref", digest("r", incoming.booking.booking_ref), incoming.booking.booking_ref),
        ):
            lines = self.conflicts.get(key)
            if lines:
                others = ", ".join(str(n) for n in lines if n != line)
                raise RowError(f"duplicate {kind} {shown}: also on line(s) {others}; none of these lines is imported")

    def note(self) -> str:
        """For the summary: "2 exact duplicate rows counted once: lines 8, 12" ("" when there are none)."""
        if not self.exact_groups:
            return ""
        rows = sum(len(group) for group in self.exact_groups)
        shown = "; ".join(", ".join(str(line) for line in group) for group in self.exact_groups[:NOTE_GROUPS])
        more = len(self.exact_groups) - NOTE_GROUPS
        rest = f"; and {more} more group(s)" if more > 0 else ""
        return f"{rows} exact duplicate rows counted once: lines {shown}{rest}"


class DuplicateFinder:
    """Fed every readable row of the first pass; `result()` then tells which lines conflict or repeat."""

    def __init__(self) -> None:
        self._codes, self._refs, self._contents, self._lines = array("Q"), array("Q"), array("q"), array("L")
        self.candidates = 0  # rows with a valid code and booking_ref

    def add(self, line: int, values: Mapping[str, str]) -> None:
        """Rows refused for another reason count too: a second row with the same code must not be
        trusted either."""
        code = parse_payload(values.get("code") or "")
        canonical = code.code if code.kind is PayloadKind.BOOKING_CODE else ""
        ref = (values.get("booking_ref") or "").strip()
        code_key = digest("c", canonical) if canonical else 0
        ref_key = digest("r", ref) if ref else 0
        if code_key and ref_key:
            self.candidates += 1
        if code_key or ref_key:
            self._codes.append(code_key)
            self._refs.append(ref_key)
            self._contents.append(_content_key(values, canonical))
            self._lines.append(line)

    def result(self) -> Duplicates:
        repeated = _repeated(self._codes) | _repeated(self._refs)
        if not repeated:
            return Duplicates()
        groups: dict[int, list[tuple[int, int]]] = {}  # key -> [(line, content)]
        for code, ref, content, line in zip(self._codes, self._refs, self._contents, self._lines, strict=True):
            for key in (code, ref):
                if key in repeated:
                    groups.setdefault(key, []).append((line, content))
        conflicts: dict[int, list[int]] = {}
        exact: set[tuple[int, ...]] = set()
        for key, members in groups.items():
            lines = [line for line, _ in members]
            if len({content for _, content in members}) > 1:
                conflicts[key] = lines
            else:
                exact.add(tuple(lines))
        conflicting = {line for lines in conflicts.values() for line in lines}
        # Equal rows have equal keys, so a set of equal lines conflicts as a whole or not at all.
        exact_groups = tuple(sorted(group for group in exact if group[0] not in conflicting))
        copies = frozenset(line for group in exact_groups for line in group[1:])
        return Duplicates(conflicts, copies, exact_groups)


def digest(kind: str, value: str) -> int:
    """8 bytes of a keyed hash; any text (also bytes kept by surrogateescape, or a JSON lone surrogate)."""
    return int.from_bytes(
        hashlib.blake2b(f"{kind}:{value}".encode("utf-8", "surrogatepass"), digest_size=8).digest(), "big"
    )


def _content_key(values: Mapping[str, str], canonical_code: str) -> int:
    """Python's 64-bit hash of the row's fields (names too: a JSON line may leave some out), trimmed, with
    the code canonical. Only rows that already share a code or reference digest are compared by it, in
    one process, so its per-process seed does not matter; it costs half of a blake2b of the same text."""
    fields = {**values, "code": canonical_code} if canonical_code else values
    return hash((tuple(fields), tuple([value.strip() for value in fields.values()])))


def _repeated(digests: array[int]) -> set[int]:
    ordered = sorted(digests)
    return {a for a, b in itertools.pairwise(ordered) if a == b and a != 0}
