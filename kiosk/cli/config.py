"""`kiosk config show`: the configuration in effect, and where each part of it comes from."""

from __future__ import annotations

import argparse
from typing import Any

from kiosk import config as kiosk_config
from kiosk.cli.common import EXIT_OK, NO_OFFICE_NAME, CliError, Context, command, needs_subcommand
from kiosk.store.db import StoreError
from kiosk.store.settings import rules_to_json


def add_commands(commands: Any, db: argparse.ArgumentParser) -> None:
    parser = command(commands, "config", needs_subcommand, "the configuration", db)
    sub = parser.add_subparsers(title="config commands", metavar="ACTION", required=True)
    command(sub, "show", cmd_config_show, "show the configuration in effect and where each part comes from", db)


def cmd_config_show(ctx: Context) -> int:
    config = ctx.config
    path, source = kiosk_config.resolve_db_path(getattr(ctx.args, "db", None), config)
    ctx.say(f"configuration file: {config.source or 'none (defaults)'}")
    ctx.say(f"data folder:        {kiosk_config.data_dir()}")
    ctx.say(f"database:           {path} (from {source}){'' if path.exists() else ' - does not exist yet'}")
    ctx.say(f"demo database:      {kiosk_config.demo_db_path()}")
    ctx.say(f"retention:          {config.retention_days} days")
    ctx.say(f"camera:             index {config.camera.index}, {config.camera.width}x{config.camera.height}")
    online = config.online
    state = "on" if online.check else "off"
    ctx.say(f"online check:       {state}, budget {online.budget_ms} ms (asked only when enrolled)")
    ctx.say(f"log level:          {config.log_level}")
    declared = {"id": config.kiosk_id, "gate": config.gate, "office": config.office}
    ctx.say(f"[kiosk] in file:    {_rules_text({k: v for k, v in declared.items() if v}) or '(none)'}")
    ctx.say(f"[office] in file:   {_rules_text(config.rules) or '(none)'}")
    if path.exists():
        _show_stored_settings(ctx)
    return EXIT_OK


def _show_stored_settings(ctx: Context) -> None:
    try:
        with ctx.open_store() as store:
            identity, rules = store.settings.identity(), store.settings.rules()
            office_name = store.settings.office_name()
    except (StoreError, CliError) as exc:
        ctx.say(f"in the database:    cannot read it: {exc}")
        return
    ctx.say(f"in the database:    kiosk {identity.kiosk_id}, gate {identity.gate}, office {identity.office_code}")
    ctx.say(f"                    office name: {office_name or NO_OFFICE_NAME}")
    ctx.say(f"                    {_rules_text(rules_to_json(rules))}")
    declared = ctx.config.identity(identity)
    differs = declared != identity or any(rules_to_json(rules).get(k) != v for k, v in ctx.config.rules.items())
    if differs:
        ctx.say("                    (differs from the file: run `kiosk setup` to apply the file)")


def _rules_text(rules: dict[str, Any] | Any) -> str:
    return ", ".join(f"{key}={value}" for key, value in sorted(dict(rules).items()) if key != "office_code")
