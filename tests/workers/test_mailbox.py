"""The latest-frame mailbox: the newest item wins, older ones are dropped (counted), never queued."""

from __future__ import annotations

import threading

from kiosk.workers.mailbox import LatestMailbox


def test_the_newest_item_wins_and_drops_are_reported() -> None:
    box: LatestMailbox[int] = LatestMailbox()
    assert box.put(1) is False
    assert box.put(2) is True
    assert box.put(3) is True
    assert box.take(0) == 3
    assert box.take(0) is None


def test_take_waits_for_a_put_from_another_thread() -> None:
    box: LatestMailbox[str] = LatestMailbox()
    thread = threading.Thread(target=box.put, args=("frame",))
    thread.start()
    assert box.take(5.0) == "frame"
    thread.join()


def test_close_wakes_a_waiting_taker() -> None:
    box: LatestMailbox[int] = LatestMailbox()
    got: list[int | None] = []
    thread = threading.Thread(target=lambda: got.append(box.take(30.0)))
    thread.start()
    box.close()
    thread.join(5.0)
    assert not thread.is_alive() and got == [None]
    box.put(1)
    assert box.take(0) is None and box.closed
