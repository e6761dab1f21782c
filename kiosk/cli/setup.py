"""`kiosk setup`: create or configure the kiosk database (office, gate, rules), audited."""

from __future__ import annotations

import argparse
from typing import Any

from kiosk.cli.common import EXIT_OK, CliError, Context, command, non_negative, office_code, zone_key
from kiosk.domain.clock import utc_now
from kiosk.domain.model import OfficeRules, PartyAdmission, ReentryPolicy
from kiosk.store.db import KioskStore, StoreError
from kiosk.store.opening import refuse_if_lost
from kiosk.store.parts.settings import clean_office_name
from kiosk.store.settings import Identity, rules_to_json
from kiosk.store.settings import rules_from_json as build_rules

_RULE_OPTIONS = (
    "early_minutes",
    "late_minutes",
    "max_data_age_minutes",
    "allow_later_same_day",
    "deny_needs_ack",
    "reentry",
    "party_admission",
)


def add_commands(commands: Any, db: argparse.ArgumentParser) -> None:
    parser = command(commands, "setup", cmd_setup, "create or configure the kiosk database: office, gate, rules", db)
    parser.epilog = (
        "Values come from the database (when configured before), then the configuration file's [kiosk]\n"
        "and [office] sections, then these options. The change is recorded in the audit chain."
    )
    parser.add_argument("--office", help="office code, e.g. DPS")
    parser.add_argument(
        "--office-name",
        metavar="TEXT",
        help='the office\'s full name, e.g. "Kantor Imigrasi Kelas I TPI Denpasar", shown to applicants and '
        'printed on reports ("" removes it); an enrolled kiosk takes its server\'s name for the office instead',
    )
    parser.add_argument("--zone", help="the office's time zone: WIB, WITA or WIT")
    parser.add_argument("--gate", help="this kiosk's gate, e.g. G1")
    parser.add_argument("--kiosk-id", help="this kiosk's id, e.g. KIOSK-1")
    parser.add_argument("--early-minutes", type=non_negative, help="entry opens this long before the slot")
    parser.add_argument("--late-minutes", type=non_negative, help="entry closes this long after the slot end")
    parser.add_argument("--max-data-age-minutes", type=non_negative, help="older local data REFERs unknown codes")
    parser.add_argument("--allow-later-same-day", action=argparse.BooleanOptionalAction, default=None)
    parser.add_argument("--deny-needs-ack", action=argparse.BooleanOptionalAction, default=None)
    parser.add_argument("--reentry", choices=[p.value for p in ReentryPolicy])
    parser.add_argument("--party-admission", choices=[p.value for p in PartyAdmission])


def cmd_setup(ctx: Context) -> int:
    path = ctx.db_path()
    refuse_if_lost(path)  # a lost database is restored from the backup, never set up anew
    new = not path.exists() or path.stat().st_size == 0
    if args_name := ctx.args.office_name:
        try:
            clean_office_name(args_name)
        except ValueError as exc:
            raise CliError(f"--office-name: {exc}") from None
    if new:  # check everything before a file is made: a refused setup leaves nothing behind
        identity = _setup_identity(ctx, None)
        rules = _setup_rules(ctx, identity.office_code, None)
        path.parent.mkdir(parents=True, exist_ok=True)
    with KioskStore.open(path, create=True, upgrade=new) as store:
        if not new:
            stored = store.settings.identity() != Identity()
            identity = _setup_identity(ctx, store.settings.identity() if stored else None)
            rules = _setup_rules(ctx, identity.office_code, store.settings.rules() if stored else None)
        now = utc_now()
        store.settings.configure(identity, rules, now)
        if ctx.args.office_name is not None:
            try:
                store.settings.set_office_name(identity.office_code, ctx.args.office_name, now)
            except StoreError as exc:
                raise CliError(f"--office-name: {exc}") from None
        name = store.settings.office_name()
    named = f' "{name}"' if name else ""
    ctx.say(
        f"{'created' if new else 'configured'} {path}: kiosk {identity.kiosk_id}, gate {identity.gate}, "
        f"office {identity.office_code}{named} ({rules.zone_abbreviation}, {rules.zone})"
    )
    return EXIT_OK


def _setup_identity(ctx: Context, stored: Identity | None) -> Identity:
    args = ctx.args
    base = ctx.config.identity(stored)
    office = args.office or (base.office_code if stored or ctx.config.office else None)
    if office is None:
        raise CliError("give the office: kiosk setup --office CODE --zone WIB|WITA|WIT (or [kiosk] office in the file)")
    return Identity(
        kiosk_id=_identity_part(args.kiosk_id or base.kiosk_id, "--kiosk-id"),
        gate=_identity_part(args.gate or base.gate, "--gate"),
        office_code=office_code(office),
    )


def _identity_part(value: str, option: str) -> str:
    value = value.strip()
    if not value or len(value) > 32 or not value.isprintable():
        raise CliError(f"{option} must be 1 to 32 printable characters")
    return value


def _setup_rules(ctx: Context, office: str, stored: OfficeRules | None) -> OfficeRules:
    args = ctx.args
    values: dict[str, Any] = rules_to_json(stored) if stored else {}
    values.update(ctx.config.rules)
    values.update({name: getattr(args, name) for name in _RULE_OPTIONS if getattr(args, name) is not None})
    if args.zone:
        values["zone"] = zone_key(args.zone)
    if stored is None and "zone" not in values:
        raise CliError("give the office's time zone: --zone WIB, WITA or WIT (or [office] zone in the file)")
    values["office_code"] = office
    try:
        return build_rules(values)
    except ValueError as exc:
        raise CliError(f"office rules: {exc}") from None
