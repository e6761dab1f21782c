"""`kiosk audit verify`: the chain, the head file, the server's receipts and a head printed on paper.

(Above kiosk/sync in the layers: the receipts' signatures are checked with the keys the sync pinned.)
What each line means, and what a person with root on the kiosk can still hide: docs/audit.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kiosk.store.audit import VerifyReport
from kiosk.store.db import KioskStore
from kiosk.sync import anchoring, vouched

#: A head printed on paper is checked against at least this much of its hash (64 bits).
MIN_EXPECT_HEX = 16
_EXPECT = re.compile(r"^\s*(\d{1,18})\s*:\s*([0-9a-fA-F\s]+)$")


@dataclass(frozen=True, slots=True)
class Verified:
    report: VerifyReport
    lines: list[str]

    @property
    def ok(self) -> bool:
        return self.report.ok


def parse_expect(text: str) -> tuple[int, str]:
    """'SEQ:HASH' as printed in the daily report (the hash may be grouped with spaces); at least
    MIN_EXPECT_HEX hex digits. Raises ValueError with a sentence for the person typing it."""
    match = _EXPECT.match(text)
    if match is None:
        raise ValueError(
            f"--expect wants SEQ:HASH as printed in the daily report, e.g. 1234:9f86d081884c7d65; got {text!r}"
        )
    digits = re.sub(r"\s+", "", match.group(2)).lower()
    if len(digits) < MIN_EXPECT_HEX or len(digits) > 64:
        raise ValueError(f"--expect: give at least the first {MIN_EXPECT_HEX} hex digits of the hash (at most 64)")
    return int(match.group(1)), digits


def grouped(hash_text: str) -> str:
    """A hash in groups of four, for reading off paper."""
    return " ".join(hash_text[i : i + 4] for i in range(0, len(hash_text), 4))


def verify(store: KioskStore, expect: tuple[int, str] | None = None) -> Verified:
    checked = anchoring.checked_receipts(store)
    report = store.verify_audit(checked.receipts, expect)
    for problem in checked.problems:
        report.add(None, problem)
    for event_uuid, why in vouched.unvouched(store):
        report.add(None, f"the upload copy of event {event_uuid} will not be sent: {why}")
    lines = [f"head: entry {report.head.seq}, hash {grouped(report.head.hash)}"]
    lines += _anchoring_lines(report)
    if expect is not None and report.ok:
        lines.append(f"the chain holds the expected head: entry {expect[0]} ({expect[1][:16]}...)")
    return Verified(report, lines)


def _anchoring_lines(report: VerifyReport) -> list[str]:
    receipt = report.anchored
    if receipt is None:
        return [
            f"not anchored by a server (no receipt): {report.unanchored} entries; without a server, sign the head "
            "in the daily report on paper and check it later with --expect SEQ:HASH"
        ]
    lines = [
        f"anchored by the server up to entry {receipt.seq} (receipt of {receipt.server_time[:16]}Z, "
        f"key {receipt.key_id})"
    ]
    if report.unanchored:
        since = (report.unanchored_since or "")[:16]
        lines.append(f"{report.unanchored} entries not yet anchored, the oldest from {since}")
    else:
        lines.append("every entry is anchored")
    return lines
