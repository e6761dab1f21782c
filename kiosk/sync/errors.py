"""How a sync attempt fails. Every error ends the attempt with nothing half applied; the caller (the
sync worker, `kiosk sync now`) tells them apart by class, across the sync process too
(kiosk/sync/process.py sends them back by name)."""

from __future__ import annotations


class SyncError(Exception):
    """A sync attempt failed; nothing half-done was kept. `retry_after_s` from the server, if it said."""

    retry_after_s: float | None = None


class TransientError(SyncError):
    """Network trouble, a timeout, 5xx or 429: try again later."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class ResponseRefusedError(SyncError):
    """The server's answer broke the protocol (bad signature, wrong office, cursor backwards...)."""


class NotEnrolledError(SyncError):
    pass


class UnauthorisedError(SyncError):
    pass


class KioskRevokedError(SyncError):
    pass


class InvalidRequestError(SyncError):
    """A 422: the server refused the request's body (a bug, or a server older than a field of it). Raised
    by the client (kiosk/sync/client.py); the upload (kiosk/sync/upload.py) handles a refused health."""
