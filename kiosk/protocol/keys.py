"""Ed25519 keys: generation, their wire form, signing with a purpose prefix, and the kiosk's key ring.

Every signature covers `purpose + message`, so a signature made for one use (a feed page) can never
be replayed as another (a revocation notice, a booking code). Public keys travel as unpadded
base64url of the 32 raw bytes; a key is named by a server-chosen key id, and booking codes carry a
2-byte tag (the first bytes of SHA-256 of the raw public key) instead, to stay small.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

_B64URL = re.compile(r"[A-Za-z0-9_-]*")
PAGE_PURPOSE = b"kiosk.page.v1\n"
NOTICE_PURPOSE = b"kiosk.notice.v1\n"
RECEIPT_PURPOSE = b"kiosk.receipt.v1\n"
CODE_PURPOSE = b"KS1"
SIGNATURE_BYTES = 64
PUBLIC_KEY_BYTES = 32
TAG_BYTES = 2


def b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64decode(text: str) -> bytes:
    """Strict unpadded base64url; raises ValueError on anything else."""
    if not _B64URL.fullmatch(text):
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64url") from exc


def key_tag(public_raw: bytes) -> bytes:
    return hashlib.sha256(public_raw).digest()[:TAG_BYTES]


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A private key with its id, as the server keeps it."""

    key_id: str
    private: Ed25519PrivateKey

    @classmethod
    def generate(cls, key_id: str) -> SigningKey:
        return cls(key_id, Ed25519PrivateKey.generate())

    @classmethod
    def from_private_text(cls, key_id: str, text: str) -> SigningKey:
        return cls(key_id, Ed25519PrivateKey.from_private_bytes(b64decode(text)))

    @property
    def private_text(self) -> str:
        raw = self.private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return b64encode(raw)

    @property
    def public_raw(self) -> bytes:
        return self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @property
    def public_text(self) -> str:
        return b64encode(self.public_raw)

    @property
    def tag(self) -> bytes:
        return key_tag(self.public_raw)

    def sign(self, purpose: bytes, message: bytes) -> bytes:
        return self.private.sign(purpose + message)


class Keyring:
    """The public keys a kiosk trusts (pinned at enrolment, replaced only by a list signed with one of them)."""

    def __init__(self, keys: Mapping[str, bytes] | None = None) -> None:
        self._keys: dict[str, Ed25519PublicKey] = {}
        self._raw: dict[str, bytes] = {}
        for key_id, raw in (keys or {}).items():
            self._add(key_id, raw)

    @classmethod
    def from_texts(cls, pairs: Iterable[tuple[str, str]]) -> Keyring:
        """Build from (key_id, base64url public key) pairs; raises ValueError on a malformed key."""
        ring = cls()
        for key_id, text in pairs:
            ring._add(key_id, b64decode(text))
        return ring

    def _add(self, key_id: str, raw: bytes) -> None:
        if len(raw) != PUBLIC_KEY_BYTES:
            raise ValueError(f"public key {key_id!r} is not {PUBLIC_KEY_BYTES} bytes")
        self._keys[key_id] = Ed25519PublicKey.from_public_bytes(raw)
        self._raw[key_id] = raw

    @property
    def key_ids(self) -> list[str]:
        return sorted(self._keys)

    def texts(self) -> list[tuple[str, str]]:
        return [(key_id, b64encode(self._raw[key_id])) for key_id in self.key_ids]

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, key_id: object) -> bool:
        return key_id in self._keys

    def verify(self, key_id: str, purpose: bytes, message: bytes, signature: bytes) -> bool:
        """True only for a known key id and a signature that checks out. Never raises."""
        key = self._keys.get(key_id)
        if key is None or len(signature) != SIGNATURE_BYTES:
            return False
        try:
            key.verify(signature, purpose + message)
        except InvalidSignature:
            return False
        return True

    def verify_tagged(self, tag: bytes, purpose: bytes, message: bytes, signature: bytes) -> str | None:
        """For booking codes: try every key whose tag matches; the key id that verified, or None."""
        for key_id, raw in self._raw.items():
            if key_tag(raw) == tag and self.verify(key_id, purpose, message, signature):
                return key_id
        return None
