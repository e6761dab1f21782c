"""Opening a database (kiosk/store/opening.py): what is made beside it, and kept out of it."""

from __future__ import annotations

from pathlib import Path

from kiosk.store.codes import key_path_for
from kiosk.store.db import KioskStore
from tests.store.conftest import raw_sql


def test_the_key_file_stays_beside_the_database(store: KioskStore, db_path: Path) -> None:
    assert key_path_for(db_path).exists()
    assert raw_sql(db_path, "SELECT count(*) FROM settings WHERE value LIKE '%0102030405%'") == [(0,)]
