"""`kiosk config show`: the configuration in effect, and where each part of it comes from."""

from __future__ import annotations

import argparse
import tomllib
from pathlib import Path
from typing import Any

from kiosk import config as kiosk_config
from kiosk.cli.common import EXIT_OK, NO_OFFICE_NAME, CliError, Context, command, needs_subcommand
from kiosk.domain.model import OfficeRules
from kiosk.relay.board import RelaySettings
from kiosk.store.db import StoreError
from kiosk.store.settings import Identity, rules_to_json
from kiosk.sync import state


def add_commands(commands: Any, db: argparse.ArgumentParser) -> None:
    parser = command(commands, "config", needs_subcommand, "the configuration", db)
    sub = parser.add_subparsers(title="config commands", metavar="ACTION", required=True)
    command(sub, "show", cmd_config_show, "show the configuration in effect and where each part comes from", db)


def cmd_config_show(ctx: Context) -> int:
    config = ctx.config
    path, source = kiosk_config.resolve_db_path(getattr(ctx.args, "db", None), config)
    given = _keys_in_file(config.source)
    ctx.say(f"configuration file: {config.source or 'none (defaults)'}")
    ctx.say("                    [file: ...] names the keys the file sets; every other value is the default")
    ctx.say(f"data folder:        {kiosk_config.data_dir()}")
    ctx.say(f"database:           {path} (from {source}){'' if path.exists() else ' - does not exist yet'}")
    ctx.say(f"demo database:      {kiosk_config.demo_db_path()}")
    ctx.say(f"retention:          {config.retention_days} days{_origin(given, 'database', ('retention_days',))}")
    for label, text, section, keys in _machine_lines(config):
        ctx.say(f"{label + ':':<19} {text}{_origin(given, section, keys)}")
    declared = {"id": config.kiosk_id, "gate": config.gate, "office": config.office}
    ctx.say(f"[kiosk] in file:    {_rules_text({k: v for k, v in declared.items() if v}) or '(none)'}")
    ctx.say(f"[office] in file:   {_rules_text(config.rules) or '(none)'}")
    if path.exists():
        _show_stored_settings(ctx)
    return EXIT_OK


_DECODER_KEYS = ("decoder", "decoder_process")
_CAMERA_KEYS = ("index", "device", "width", "height", "search_other_cameras")


def _machine_lines(config: kiosk_config.KioskConfig) -> list[tuple[str, str, str, tuple[str, ...] | None]]:
    """(label, value, section, its keys or None for all) for the sections that describe the machine."""
    cam = config.camera
    which = f"device {cam.device}" if cam.device else f"index {cam.index}"
    others = "; any other camera when it is missing" if cam.search_other_cameras else ""
    where = "in a child process" if cam.decoder_process else "in the kiosk's own process"
    sound = config.sound
    online = config.online
    return [
        ("camera", f"{which}, {cam.width}x{cam.height}{others}", "camera", _CAMERA_KEYS),
        ("decoder", f"{cam.decoder}, {where}", "camera", _DECODER_KEYS),
        ("sound", f"{'tone, then spoken' if sound.spoken else 'tones only'}, volume {sound.volume:g}", "sound", None),
        ("relay", _relay_text(config.relay), "relay", None),
        (
            "online check",
            f"{'on' if online.check else 'off'}, budget {online.budget_ms} ms (asked only when enrolled)",
            "online",
            None,
        ),
        ("log level", config.log_level, "log", None),
    ]


def _relay_text(relay: RelaySettings) -> str:
    if relay.driver == "none":
        return "none: no door relay, the guard lets people through"
    parts = [f"driver {relay.driver}"]
    if relay.port:
        parts.append(f"port {relay.port}" + (f" at {relay.baud} baud" if relay.driver != "gpiod" else ""))
    parts.append(f"{'line' if relay.driver == 'gpiod' else 'channel'} {relay.channel}")
    parts.append(f"hold {relay.hold_ms} ms")
    if relay.driver == "gpiod":
        parts.append("active low" if relay.active_low else "active high")
    else:
        parts.append(f"confirm {'on' if relay.confirm else 'off'}, timeout {relay.timeout_ms} ms")
    if relay.driver == "serial-command":
        parts.append(f"on {relay.on_command!r}, off {relay.off_command!r}")
    towers = {"green": relay.tower_green, "amber": relay.tower_amber, "red": relay.tower_red}
    if any(v is not None for v in towers.values()):
        parts.append("tower " + " ".join(f"{k} {v}" for k, v in towers.items() if v is not None))
    if relay.driver == "simulated":
        parts.append("SIMULATED: opens no door")
    return ", ".join(parts)


def _keys_in_file(source: Path | None) -> dict[str, set[str]]:
    """The keys each section of the file sets (the file was read and checked already; read again here)."""
    if source is None:
        return {}
    try:
        with source.open("rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {}
    return {section: set(values) for section, values in data.items() if isinstance(values, dict)}


def _origin(given: dict[str, set[str]], section: str, keys: tuple[str, ...] | None = None) -> str:
    found = sorted(given.get(section, set()) & set(keys) if keys else given.get(section, set()))
    return f" [file: {', '.join(found)}]" if found else ""


def _show_stored_settings(ctx: Context) -> None:
    try:
        with ctx.open_store() as store:
            identity, rules = store.settings.identity(), store.settings.rules()
            office_name = store.settings.office_name()
            with store.reading() as connection:
                enrolled = state.enrolment(connection)
    except (StoreError, CliError) as exc:
        ctx.say(f"in the database:    cannot read it: {exc}")
        return
    ctx.say(f"in the database:    kiosk {identity.kiosk_id}, gate {identity.gate}, office {identity.office_code}")
    ctx.say(f"                    office name: {office_name or NO_OFFICE_NAME}")
    ctx.say(f"                    {_rules_text(rules_to_json(rules))}")
    differs = _differs(ctx.config, identity, rules)
    if enrolled is not None:
        ctx.say(
            f"                    enrolled with {enrolled.server_url}: the server sets the kiosk id, office and "
            "rules (the file's [kiosk] and [office] are for a kiosk without a server)"
        )
        if differs:
            ctx.say("                    (the file's [kiosk] or [office] differ: the server's are in effect)")
    elif differs:
        ctx.say("                    (differs from the file: run `kiosk setup` to apply the file)")


def _differs(config: kiosk_config.KioskConfig, identity: Identity, rules: OfficeRules) -> bool:
    """Whether the file declares something else than the database holds, compared by meaning (the
    file's zone "WITA" is Asia/Makassar; refer_categories is a set, in any order)."""
    if config.identity(identity) != identity:
        return True
    try:
        return config.rules_for(identity.office_code, rules_to_json(rules)) != rules
    except kiosk_config.ConfigError:
        return True


def _rules_text(rules: dict[str, Any] | Any) -> str:
    return ", ".join(f"{key}={value}" for key, value in sorted(dict(rules).items()) if key != "office_code")
