"""The parts of a KioskStore, hung off it as attributes, one module each (as Anki's Collection hangs
`col.decks` and `col.models` off one object): store.settings, store.guards, store.bookings,
store.audit, store.decisions, store.retention.

They exist so that the store (kiosk/store/db.py) keeps only what concerns the database as a whole
(opening, transactions, checks), and each part only what concerns its own data. A part is made at
each access and holds its store; the store holds no part, so a dropped store is collected (and its
locks released) at once, as before."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kiosk.store.db import KioskStore


class Part:
    """One part of a store: its methods work through the store's transactions."""

    __slots__ = ("_store",)

    def __init__(self, store: KioskStore) -> None:
        self._store = store
