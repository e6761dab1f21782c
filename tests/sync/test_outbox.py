"""The outbox (kiosk/sync/outbox.py) survives bodies it cannot send: a final refusal marks the row,
keeps it and audits it, once; a failed attempt is only counted."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from kiosk.store import audit
from kiosk.store.db import KioskStore
from kiosk.store.schema import AuditRow, OutboxRow
from kiosk.store.status import store_status
from kiosk.store.times import to_text
from kiosk.sync import outbox, state
from tests.store.conftest import present
from tests.sync.pages import NOW, enrolled_store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[KioskStore]:
    opened = enrolled_store(tmp_path / "kiosk.db")
    yield opened
    opened.close()


BAD_LONG = "0b5d4c1e-0000-4f00-8000-00000000ba01"


def insert_outbox(store: KioskStore, uuid: str, body: str) -> None:
    with store.writing() as connection:
        connection.execute(
            OutboxRow.__table__.insert().values(event_uuid=uuid, body=body, created_at=to_text(NOW), attempts=0)
        )


def refusal_entries(store: KioskStore) -> list[str]:
    with store.reading() as connection:
        return list(
            connection.execute(select(AuditRow.subject).where(AuditRow.kind == "sync.refused").order_by(AuditRow.seq))
            .scalars()
            .all()
        )


def outbox_rows(store: KioskStore) -> dict[str, tuple[object, ...]]:
    with store.reading() as connection:
        rows = connection.execute(
            select(OutboxRow.event_uuid, OutboxRow.refused_at, OutboxRow.refused_reason, OutboxRow.attempts)
        ).all()
    return {row[0]: tuple(row[1:]) for row in rows}


def recorded_event(store: KioskStore, code: str = "MPNOTBOOKED9") -> str:
    return store.decisions.record(present(code), NOW).event_uuid


def test_a_row_that_can_never_be_sent_is_marked_refused_once_kept_and_audited(store: KioskStore) -> None:
    """A body that fails the wire model (here: a masked code longer than the wire's 40) is final: the
    kiosk's record never changes by itself. Marked, kept, audited once, never in a batch again."""
    good = recorded_event(store)
    with store.reading() as connection:
        body = json.loads(connection.execute(select(OutboxRow.body).where(OutboxRow.event_uuid == good)).scalar_one())
    long_body = {**body, "event_uuid": BAD_LONG, "code_masked": "KS" + "*" * 158}
    insert_outbox(store, BAD_LONG, json.dumps(long_body))
    insert_outbox(store, "bad-json", "{not json")
    batch = {item.event_uuid: item for item in outbox.outbox_batch(store, 10)}
    assert batch[good].event is not None and batch[good].problem == ""
    assert batch[BAD_LONG].event is None
    assert batch[BAD_LONG].problem == "cannot be sent: code_masked: String should have at most 40 characters"
    assert batch["bad-json"].event is None and batch["bad-json"].problem.startswith("cannot be sent: ")
    problems = [(uuid, batch[uuid].problem) for uuid in (BAD_LONG, "bad-json")]
    assert outbox.outbox_refused(store, problems, NOW) == 2
    assert outbox.outbox_refused(store, problems, NOW) == 0  # already marked: no second entry
    assert [item.event_uuid for item in outbox.outbox_batch(store, 10)] == [good]
    assert (store.decisions.outbox_size(), store.decisions.refused_uploads()) == (1, 2)
    rows = outbox_rows(store)
    assert rows[BAD_LONG] == (to_text(NOW), batch[BAD_LONG].problem, 0)
    assert rows[good][:2] == (None, None)
    assert refusal_entries(store) == [BAD_LONG, "bad-json"]
    assert store.audit.verify().ok
    assert audit.read_anchor(store.anchor_path) == store.audit.head()  # the head file names the last entry


def test_the_servers_refusal_marks_the_row_and_keeps_it_deliveries_are_deleted(store: KioskStore) -> None:
    delivered, refused = recorded_event(store), recorded_event(store, "MPNOTBOOKED8")
    assert outbox.outbox_done(store, [delivered], [(refused, "another event under this id")], NOW) == 1
    rows = outbox_rows(store)
    assert delivered not in rows
    assert rows[refused] == (to_text(NOW), "refused by the server (conflict): another event under this id", 0)
    assert outbox.outbox_batch(store, 10) == []
    assert (store.decisions.outbox_size(), store.decisions.refused_uploads()) == (0, 1)
    assert refusal_entries(store) == [refused]
    assert store.audit.verify().ok


def test_a_refusal_and_its_audit_entry_are_one_transaction(store: KioskStore, monkeypatch: pytest.MonkeyPatch) -> None:
    uuid = recorded_event(store)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(outbox.audit, "append", broken)
    for mark in (
        lambda: outbox.outbox_refused(store, [(uuid, "cannot be sent: test")], NOW),
        lambda: outbox.outbox_done(store, [], [(uuid, "conflict")], NOW),
    ):
        with pytest.raises(RuntimeError, match="disk full"):
            mark()
        assert outbox_rows(store)[uuid][:2] == (None, None)  # not marked without its entry
    assert store.decisions.outbox_size() == 1


def test_a_failed_attempt_is_not_a_refusal(store: KioskStore) -> None:
    uuid = recorded_event(store)
    outbox.outbox_failed(store, [uuid], "server answered 503")
    assert outbox_rows(store)[uuid] == (None, None, 1)
    assert (store.decisions.outbox_size(), store.decisions.refused_uploads()) == (1, 0)
    assert [item.event_uuid for item in outbox.outbox_batch(store, 10)] == [uuid]


def test_refused_uploads_are_listed_newest_first_with_a_count_of_the_rest(store: KioskStore) -> None:
    for index in range(5):
        insert_outbox(store, f"bad-{index}", "[]")
        outbox.outbox_refused(store, [(f"bad-{index}", f"reason\n {index}")], NOW + dt.timedelta(minutes=index))
    listed, total = outbox.refused_uploads(store, 3)
    assert total == 5
    assert [(item.event_uuid, item.reason) for item in listed] == [
        ("bad-4", "reason 4"),  # one line: whitespace folded
        ("bad-3", "reason 3"),
        ("bad-2", "reason 2"),
    ]
    assert (listed[0].recorded_at, listed[0].refused_at) == (to_text(NOW), to_text(NOW + dt.timedelta(minutes=4)))
    status = state.status(store)
    assert (status.outbox_pending, status.outbox_refused) == (0, 5)
    assert "5 refused upload(s) kept for IT" in status.summary(NOW)
    figures = store_status(store, NOW)
    assert (figures.pending_uploads, figures.refused_uploads) == (0, 5)
