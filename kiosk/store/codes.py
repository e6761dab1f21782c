"""Booking codes are kept only as a keyed hash (HMAC-SHA256), so a copied database file hands out no
valid codes: without the key, not even a guessed code can be checked against it.

The key lives in its own file beside the database (mode 0600), never inside it; the database keeps
only the key's fingerprint, so a wrong or missing key file is reported instead of silently making
every code unknown.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

KEY_BYTES = 32


class CodeKeyError(Exception):
    """The code key file is missing, unreadable or does not belong to this database."""


class CodeHasher:
    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise CodeKeyError(f"code key must be {KEY_BYTES} bytes, got {len(key)}")
        self._key = key

    def hash(self, canonical_code: str) -> bytes:
        return hmac.new(self._key, canonical_code.encode("ascii"), hashlib.sha256).digest()

    def mac(self, material: str) -> bytes:
        """Seal a stored row: editing it by hand (without the key) is noticed at lookup."""
        return hmac.new(self._key, b"row:" + material.encode("utf-8"), hashlib.sha256).digest()

    @property
    def fingerprint(self) -> str:
        """Identifies the key without revealing it."""
        return hashlib.sha256(b"kiosk-code-key-fingerprint" + self._key).hexdigest()[:16]


def key_path_for(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".key")


def load_or_create_key(path: Path, create: bool) -> CodeHasher:
    if path.exists():
        try:
            key = bytes.fromhex(path.read_text(encoding="ascii").strip())
        except (OSError, ValueError) as exc:
            raise CodeKeyError(f"cannot read the code key file {path}: {exc}") from exc
        return CodeHasher(key)
    if not create:
        raise CodeKeyError(
            f"the code key file {path} is missing. Without it no booking code can be checked. "
            "Restore it from the backup made at installation, or re-import the bookings into a new database."
        )
    key = secrets.token_bytes(KEY_BYTES)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created the database at the same moment: use its key
        return load_or_create_key(path, create=False)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key.hex() + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return CodeHasher(key)
