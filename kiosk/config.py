"""The kiosk's configuration file (TOML) and where its files live.

The file describes the machine: which database, which camera, and the identity and office rules that
`kiosk setup` writes into the database. The database is what the kiosk decides on (changes to it are
audited); the file is the installer's declaration of what it should be.

Example (every key optional; this is also what the defaults are, apart from the office)::

    [database]
    path = "~/.local/share/kiosk/kiosk.db"   # relative paths are relative to this file
    retention_days = 7

    [kiosk]
    id = "KIOSK-1"
    gate = "G1"
    office = "DPS"

    [office]            # the office's rules; see kiosk.domain.model.OfficeRules
    zone = "WITA"       # WIB, WITA, WIT or Asia/Jakarta, Asia/Makassar, Asia/Jayapura
    early_minutes = 30
    late_minutes = 60
    allow_later_same_day = false
    reentry = "once_per_day"
    party_admission = "whole_party"
    debounce_seconds = 3.0
    max_data_age_minutes = 15
    deny_needs_ack = false
    refer_categories = ["priority", "lost_passport"]

    [camera]
    index = 0                  # or, better on Linux, the camera's stable path (kiosk doctor lists them):
    # device = "/dev/v4l/by-id/usb-Logitech_C920_ABCD1234-video-index0"
    search_other_cameras = false   # true: when the camera is missing, take any other (logged, shown)
    width = 1280
    height = 720
    decoder = "zxing"          # "zxing" (default), "zbar" (needs libzbar0) or "auto"
    decoder_process = true     # decode in a child process, so the screens never wait for a decode

    [sound]
    spoken = true       # after the tone, say the result in Indonesian (false: tones only)
    volume = 0.8        # 0.0 to 1.0

    [relay]             # the door's relay; see kiosk/relay/board.py and deploy/kiosk.toml
    driver = "none"     # "none", "simulated", "lcus", "serial-command" or "gpiod"

    [online]            # the check across gates, when the kiosk is enrolled with a server
    check = true        # ask the server first; false: every scan is decided from local data
    budget_ms = 300     # wait at most this long for its answer, then decide locally (same event id)

    [log]
    level = "WARNING"

Where things are, first match wins: the database is `--db`, then `$KIOSK_DB`, then `[database] path`,
then `$XDG_DATA_HOME/kiosk/kiosk.db` (`~/.local/share/kiosk/kiosk.db`); the file itself is `--config`,
then `$KIOSK_CONFIG`, then `$XDG_CONFIG_HOME/kiosk/kiosk.toml` (`~/.config/kiosk/kiosk.toml`).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.domain.model import ZONE_OF_ABBREVIATION, OfficeRules
from kiosk.relay.board import RelaySettings, RelaySettingsError, parse_relay_settings
from kiosk.store.parts.retention import DEFAULT_RETENTION_DAYS
from kiosk.store.settings import Identity, rules_from_json

APP_DIR_NAME = "kiosk"
CONFIG_FILE_NAME = "kiosk.toml"
DB_FILE_NAME = "kiosk.db"
DEMO_DIR_NAME = "demo"
DEMO_DB_FILE_NAME = "kiosk-demo.db"
DECODERS = ("zxing", "zbar", "auto")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
#: The online check's budget, ms: a CHECKING screen longer than about 2 s loses the applicant's trust.
ONLINE_BUDGET_MS = (50, 2000)

#: Every key the file may hold, with the type it must have. Unknown keys are refused, not ignored:
#: a typo such as `erly_minutes` would otherwise silently leave a rule at its default.
_SCHEMA: dict[str, dict[str, type | tuple[type, ...]]] = {
    "database": {"path": str, "retention_days": int},
    "kiosk": {"id": str, "gate": str, "office": str},
    "office": {
        "zone": str,
        "early_minutes": int,
        "late_minutes": int,
        "allow_later_same_day": bool,
        "reentry": str,
        "party_admission": str,
        "debounce_seconds": (int, float),
        "max_data_age_minutes": int,
        "deny_needs_ack": bool,
        "refer_categories": list,
        "burst_codes": int,
        "burst_minutes": int,
        "two_gates_minutes": int,
        "retry_minutes": int,
    },
    "camera": {
        "index": int,
        "device": str,
        "search_other_cameras": bool,
        "width": int,
        "height": int,
        "decoder": str,
        "decoder_process": bool,
    },
    "sound": {"spoken": bool, "volume": (int, float)},
    "online": {"check": bool, "budget_ms": int},
    "log": {"level": str},
}


class ConfigError(Exception):
    """The configuration file cannot be used; the message names the file and the key."""


@dataclass(frozen=True, slots=True)
class CameraConfig:
    index: int = 0
    device: str | None = None  # a device path (stable: /dev/v4l/by-id/...); wins over the index
    search_other_cameras: bool = False
    width: int = 1280
    height: int = 720
    decoder: str = "zxing"  # one of DECODERS
    decoder_process: bool = True

    @property
    def target(self) -> int | str:
        """What to open: the device path when one is given, else the index."""
        return self.device if self.device else self.index


@dataclass(frozen=True, slots=True)
class SoundConfig:
    spoken: bool = True
    volume: float = 0.8


@dataclass(frozen=True, slots=True)
class OnlineConfig:
    check: bool = True
    budget_ms: int = 300


@dataclass(frozen=True, slots=True)
class KioskConfig:
    """What the configuration file says, with defaults for everything it leaves out."""

    source: Path | None = None  # the file that was read; None when there is none
    db_path: Path | None = None  # `[database] path`, already made absolute
    retention_days: int = DEFAULT_RETENTION_DAYS
    kiosk_id: str | None = None
    gate: str | None = None
    office: str | None = None
    #: `[office]` as given (zone normalised to its IANA name); turned into OfficeRules by `rules_for`.
    rules: Mapping[str, Any] = field(default_factory=dict)
    camera: CameraConfig = field(default_factory=CameraConfig)
    online: OnlineConfig = field(default_factory=OnlineConfig)
    sound: SoundConfig = field(default_factory=SoundConfig)
    relay: RelaySettings = field(default_factory=RelaySettings)
    log_level: str = "WARNING"

    def identity(self, base: Identity | None = None) -> Identity:
        """The identity the file declares, on top of `base` (what the database holds, or defaults)."""
        base = base or Identity()
        return Identity(
            kiosk_id=self.kiosk_id or base.kiosk_id,
            gate=self.gate or base.gate,
            office_code=self.office or base.office_code,
        )

    def rules_for(self, office_code: str, base: Mapping[str, Any] | None = None) -> OfficeRules:
        """The office rules the file declares, on top of `base`. Raises ConfigError on a bad value."""
        values = {**(base or {}), **self.rules, "office_code": office_code}
        try:
            return rules_from_json(values)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{self._where()}: [office]: {exc}") from exc

    def _where(self) -> str:
        return str(self.source) if self.source else "configuration"


# --- where files live -------------------------------------------------------------------------------


def data_dir(env: Mapping[str, str] | None = None) -> Path:
    """The per-user data folder: $XDG_DATA_HOME/kiosk, ~/.local/share/kiosk, or %LOCALAPPDATA%\\kiosk."""
    env = os.environ if env is None else env
    if env.get("XDG_DATA_HOME"):
        return Path(env["XDG_DATA_HOME"]) / APP_DIR_NAME
    if os.name == "nt" and env.get("LOCALAPPDATA"):
        return Path(env["LOCALAPPDATA"]) / APP_DIR_NAME
    return Path.home() / ".local" / "share" / APP_DIR_NAME


def config_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get("XDG_CONFIG_HOME"):
        return Path(env["XDG_CONFIG_HOME"]) / APP_DIR_NAME
    if os.name == "nt" and env.get("APPDATA"):
        return Path(env["APPDATA"]) / APP_DIR_NAME
    return Path.home() / ".config" / APP_DIR_NAME


def default_db_path(env: Mapping[str, str] | None = None) -> Path:
    return data_dir(env) / DB_FILE_NAME


def demo_db_path(env: Mapping[str, str] | None = None) -> Path:
    """The demo keeps its own database, so a demo can never write into the real one."""
    return data_dir(env) / DEMO_DIR_NAME / DEMO_DB_FILE_NAME


def resolve_db_path(flag: str | None, config: KioskConfig, env: Mapping[str, str] | None = None) -> tuple[Path, str]:
    """The database to use and where that choice came from (for `kiosk config show`)."""
    env = os.environ if env is None else env
    if flag:
        return Path(flag).expanduser(), "--db"
    if env.get("KIOSK_DB"):
        return Path(env["KIOSK_DB"]).expanduser(), "KIOSK_DB"
    if config.db_path is not None:
        return config.db_path, f"[database] path in {config.source}"
    return default_db_path(env), "default"


# --- reading the file -------------------------------------------------------------------------------


def load_config(flag: str | None = None, env: Mapping[str, str] | None = None) -> KioskConfig:
    """Read the configuration file. A file named by --config or $KIOSK_CONFIG must exist; the default
    one may be absent (then everything is default)."""
    env = os.environ if env is None else env
    explicit = flag or env.get("KIOSK_CONFIG")
    path = Path(explicit).expanduser() if explicit else config_dir(env) / CONFIG_FILE_NAME
    if not explicit and not path.exists():
        return KioskConfig()
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError as exc:
        raise ConfigError(f"no configuration file at {path}") from exc
    except OSError as exc:
        raise ConfigError(f"cannot read the configuration file {path}: {exc.strerror}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    return parse_config(data, path)


def parse_config(data: Mapping[str, Any], source: Path) -> KioskConfig:
    """Check every section and key against the schema, then build a KioskConfig."""
    _check_schema(data, source)
    database, kiosk, office = data.get("database", {}), data.get("kiosk", {}), data.get("office", {})
    camera, log, online = data.get("camera", {}), data.get("log", {}), data.get("online", {})
    sound = data.get("sound", {})
    try:
        relay = parse_relay_settings(data.get("relay", {}), source)
    except RelaySettingsError as exc:
        raise ConfigError(str(exc)) from None
    config = KioskConfig(
        source=source,
        db_path=_config_relative(source, database["path"]) if "path" in database else None,
        retention_days=_in_range(
            source, "database.retention_days", database.get("retention_days", DEFAULT_RETENTION_DAYS), 0, 3650
        ),
        kiosk_id=_non_empty(source, "kiosk.id", kiosk.get("id")),
        gate=_non_empty(source, "kiosk.gate", kiosk.get("gate")),
        office=_non_empty(source, "kiosk.office", kiosk.get("office")),
        rules=_office_rules(office),
        camera=CameraConfig(
            index=_in_range(source, "camera.index", camera.get("index", 0), 0, 63),
            device=_device(source, camera.get("device")),
            search_other_cameras=camera.get("search_other_cameras", False),
            width=_in_range(source, "camera.width", camera.get("width", 1280), 160, 7680),
            height=_in_range(source, "camera.height", camera.get("height", 720), 120, 4320),
            decoder=_decoder(source, camera.get("decoder", "zxing")),
            decoder_process=camera.get("decoder_process", True),
        ),
        online=OnlineConfig(
            check=online.get("check", True),
            budget_ms=_in_range(source, "online.budget_ms", online.get("budget_ms", 300), *ONLINE_BUDGET_MS),
        ),
        relay=relay,
        sound=SoundConfig(
            spoken=sound.get("spoken", True),
            volume=_volume(source, sound.get("volume", 0.8)),
        ),
        log_level=_log_level(source, log.get("level", "WARNING")),
    )
    config.rules_for(config.office or Identity().office_code)  # refuse bad rules now, not at setup
    return config


def _check_schema(data: Mapping[str, Any], source: Path) -> None:
    for section, values in data.items():
        if section not in _SCHEMA and section != "relay":
            known = ", ".join([*_SCHEMA, "relay"])
            if not isinstance(values, dict):  # a key outside any section: say which section has it
                home = [name for name, keys in _SCHEMA.items() if section in keys]
                where = f"; it belongs under [{home[0]}]" if home else ""
                raise ConfigError(f"{source}: {section} is outside any section{where} (sections: {known})")
            raise ConfigError(f"{source}: unknown section [{section}] (known: {known})")
        if not isinstance(values, dict):
            raise ConfigError(f"{source}: {section} must be a section ([{section}])")
        if section == "relay":
            continue  # kiosk.relay.board checks its own section, key by key
        for key, value in values.items():
            expected = _SCHEMA[section].get(key)
            if expected is None:
                known = ", ".join(_SCHEMA[section])
                raise ConfigError(f"{source}: unknown key {key!r} in [{section}] (known: {known})")
            if not isinstance(value, expected) or (isinstance(value, bool) and expected is not bool):
                raise ConfigError(f"{source}: [{section}] {key} has the wrong type ({type(value).__name__})")


def _office_rules(office: Mapping[str, Any]) -> dict[str, Any]:
    rules = dict(office)
    if "zone" in rules:
        rules["zone"] = ZONE_OF_ABBREVIATION.get(str(rules["zone"]).upper(), rules["zone"])
    if "debounce_seconds" in rules:
        rules["debounce_seconds"] = float(rules["debounce_seconds"])
    return rules


def _config_relative(source: Path, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else (source.parent / path).resolve()


def _in_range(source: Path, key: str, value: int, low: int, high: int) -> int:
    if not low <= value <= high:
        raise ConfigError(f"{source}: {key} must be between {low} and {high}, not {value}")
    return value


def _volume(source: Path, value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise ConfigError(f"{source}: sound.volume must be from 0.0 to 1.0, not {value}")
    return float(value)


def _device(source: Path, value: str | None) -> str | None:
    if value is None:
        return None
    if not value.strip() or not value.isprintable() or len(value) > 255:
        raise ConfigError(f"{source}: camera.device must be a device path such as /dev/v4l/by-id/...-video-index0")
    return value


def _non_empty(source: Path, key: str, value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value or not value.isprintable() or len(value) > 32:
        raise ConfigError(f"{source}: {key} must be 1 to 32 printable characters")
    return value


def _decoder(source: Path, value: str) -> str:
    if value not in DECODERS:
        raise ConfigError(f"{source}: [camera] decoder must be one of {', '.join(DECODERS)}, not {value!r}")
    return value


def _log_level(source: Path, value: str) -> str:
    level = value.upper()
    if level not in LOG_LEVELS:
        raise ConfigError(f"{source}: [log] level must be one of {', '.join(LOG_LEVELS)}")
    return level
