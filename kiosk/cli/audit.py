"""`kiosk audit verify`: the chain, the head file, the server's receipts and a head printed on paper.

(Above kiosk/sync in the layers: the receipts' signatures are checked with the keys the sync pinned.)
What each line means, and what a person with root on the kiosk can still hide: docs/audit.md.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from typing import Any

from kiosk.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, Context, command, needs_subcommand, print_error
from kiosk.store.audit import VerifyReport
from kiosk.store.db import KioskStore
from kiosk.sync import anchoring, vouched

#: A head printed on paper is checked against at least this much of its hash (64 bits).
MIN_EXPECT_HEX = 16
_EXPECT = re.compile(r"^\s*(\d{1,18})\s*:\s*([0-9a-fA-F\s]+)$")


def add_commands(commands: Any, db: argparse.ArgumentParser) -> None:
    parser = command(commands, "audit", needs_subcommand, "the audit chain", db)
    sub = parser.add_subparsers(title="audit commands", metavar="ACTION", required=True)
    verify = command(
        sub,
        "verify",
        cmd_audit_verify,
        "verify the hash chain, the recorded events and the server's receipts (exit 1 if broken)",
        db,
    )
    verify.add_argument(
        "--expect",
        metavar="SEQ:HASH",
        help="also check that the chain holds this head, as printed in a signed daily report "
        "(at least the first 16 hex digits; spaces allowed)",
    )


def cmd_audit_verify(ctx: Context) -> int:
    try:
        expect = None if ctx.args.expect is None else parse_expect(ctx.args.expect)
    except ValueError as exc:
        print_error(str(exc))
        return EXIT_USAGE
    with ctx.open_store() as store:
        verified = verify(store, expect)
    report = verified.report
    if report.ok:
        ctx.say(f"audit chain OK: {report.entries} entries, {report.events} events")
    else:
        ctx.say(
            f"audit chain BROKEN: {report.entries} entries, {report.events} events, {len(report.problems)} problem(s)"
        )
        for problem in report.problems:
            ctx.say(f"  {problem}")
    for line in verified.lines:
        ctx.say(line)
    if report.ok:
        return EXIT_OK
    where = f"first bad entry: {report.first_bad_seq}" if report.first_bad_seq is not None else "see the problems"
    print_error(f"the audit chain is broken ({where}); keep this database as evidence and call the IT staff")
    return EXIT_FAILED


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
    report = store.audit.verify(checked.receipts, expect)
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
