"""The sync protocol shared by the kiosk's sync client and the central server.

Pure Python: wire models (pydantic), Ed25519 signing and verification of feed pages, revocation
notices and compact signed booking codes. No Qt, no SQLAlchemy, no HTTP client. The prose
description is docs/sync-protocol.md; the server's OpenAPI export is docs/openapi.json.
"""

from __future__ import annotations

#: Bumped on any incompatible change of the wire format; sent in every page body.
PROTOCOL_VERSION = 1
