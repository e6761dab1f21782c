"""What the guard console reads on the reader thread (kiosk/ui/console_reads.py): the queue, live from
the worker threads."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from kiosk.store.db import KioskStore
from tests.ui.conftest import MakeKiosk
from tests.ui.fixtures import GUARD_A, PIN_A, present
from tests.ui.test_console import items, login


def test_the_queue_updates_live_from_the_worker_threads(make_kiosk: MakeKiosk, store: KioskStore, qtbot: QtBot) -> None:
    kiosk = make_kiosk(store, synchronous=False)
    console = kiosk.console
    qtbot.waitUntil(lambda: console.login_page.guard.count() == 2, timeout=5000)  # the guard list came
    login(console, GUARD_A, PIN_A)
    qtbot.waitUntil(lambda: console.guard is not None, timeout=5000)
    assert kiosk.controller.code_seen(present("MPCANCEL0001"))
    qtbot.waitUntil(lambda: [i.reason for i in items(console)] == ["CANCELLED"], timeout=5000)
    kiosk.controller.code_seen(present("MPPRIORITY01"))
    qtbot.waitUntil(lambda: len(items(console)) == 2, timeout=5000)
    newest = items(console)[0]
    assert (newest.reason, newest.display_name, newest.nik_last4) == ("NEEDS_OFFICER", "Ibu Sumarni", "0921")
    assert "2" in console.tabs.tabText(0)
