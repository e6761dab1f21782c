"""`kiosk purge` (delete bookings past the retention period) and `kiosk pii-inventory` (the personal
data this kiosk holds, and in which files)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from kiosk.cli.common import EXIT_OK, Context, command, non_negative
from kiosk.domain.clock import utc_now
from kiosk.store.db import KioskStore
from kiosk.store.engine import feed_path_for


def add_commands(commands: Any, db: argparse.ArgumentParser) -> None:
    parser = command(commands, "purge", cmd_purge, "delete bookings older than the retention period", db)
    parser.add_argument(
        "--days", type=non_negative, help="keep this many days after the service date (default: configured, 7)"
    )
    command(commands, "pii-inventory", cmd_pii_inventory, "list the personal data this kiosk holds, and where", db)


def cmd_purge(ctx: Context) -> int:
    days = ctx.args.days if ctx.args.days is not None else ctx.config.retention_days
    with ctx.open_store() as store:
        report = store.retention.purge(utc_now(), days)
    ctx.say(
        f"purged {report.bookings} bookings with a service date before {report.cutoff.isoformat()} "
        f"(retention: {days} days)"
    )
    return EXIT_OK


def cmd_pii_inventory(ctx: Context) -> int:
    path = ctx.db_path()
    logs = [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm")]
    feed = feed_path_for(path)
    logs += [feed.with_name(feed.name + suffix) for suffix in ("-wal", "-shm")]
    running = {file for file in logs if file.exists()}  # before this command's own open makes them
    with ctx.open_store() as store:
        counts = store.retention.pii_inventory()
        personal = [entry for entry in store.retention.pii_files() if entry[1] not in logs or entry[1] in running]
        others = _kiosk_files(store)
    ctx.say("Personal data held by this kiosk (counts of stored values):")
    width = max(len(name) for name in counts)
    for name, count in counts.items():
        ctx.say(f"  {name:<{width}}  {count:>9,}")
    ctx.say("Files holding personal data (back them up, move them and delete them together):")
    for label, path, holds in personal:
        _say_file(ctx, label, path)
        ctx.say(f"      holds: {holds}")
    reports = _reports_with_names(store.path.parent / "reports")
    if reports:
        ctx.say(f"  {'reports':<18} {store.path.parent / 'reports'} ({len(reports)} file(s))")
        ctx.say("      holds: daily reports: guards' names, booking refs, masked codes, guards' notes")
    ctx.say("Other files of this kiosk (no personal data):")
    for label, path in others:
        _say_file(ctx, label, path)
    ctx.say("Never held: full NIKs, booking codes in plain text (keyed hashes only), camera frames, face images.")
    return EXIT_OK


def _say_file(ctx: Context, label: str, path: Path) -> None:
    try:
        size = f"{path.stat().st_size:,} bytes"
    except OSError:
        size = "absent"
    ctx.say(f"  {label:<18} {path} ({size})")


def _reports_with_names(folder: Path) -> list[Path]:
    """The daily reports (CSV and PDF, kiosk/ui/report_pdf.py) in the kiosk's reports folder."""
    try:
        return sorted(p for p in folder.iterdir() if p.suffix.lower() in (".csv", ".pdf") and p.is_file())
    except OSError:
        return []


def _kiosk_files(store: KioskStore) -> list[tuple[str, Path]]:
    path = store.path
    return [
        ("code key", path.with_name(path.name + ".key")),
        ("audit head", store.anchor_path),
    ]
