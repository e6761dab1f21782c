"""Fault drill: a real server on loopback, two kiosks of one office scanning and syncing while the server
injects faults at random; then the faults stop and the event sets and bookings are compared.

    python -m tests.sync.drill [--backend sqlite|postgres] [--rate 0.35] [--rounds 15] [--seed 1]

Exit status 0 when, after the faults stopped, the server holds exactly the kiosks' events (no
duplicates, nothing lost, the same decisions) and each kiosk holds exactly the office's bookings.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import sys
import tempfile
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from kiosk.server.db import reading
from kiosk.server.faults import KINDS
from kiosk.server.models import BookingRow as ServerBooking
from kiosk.store.db import KioskStore
from kiosk.store.schema import BookingRow
from kiosk.sync.client import SyncClient, SyncError, enrol
from tests.server.support import Admin, ServerProcess, booking, codes, fresh_database, kiosk_event_uuids, now
from tests.sync.doorgate import OnlineGate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.sync.drill", description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--rate", type=float, default=0.35, help="share of requests that get a fault")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    with (
        tempfile.TemporaryDirectory(prefix="kiosk-drill-") as folder,
        fresh_database(args.backend, Path(folder)) as url,
    ):
        directory = Path(folder)
        admin = Admin(url)
        server = ServerProcess(url, directory / "server.log", page_limit=40).start()
        stores: list[KioskStore] = []
        try:
            office = admin.office("DRILL")
            pool = codes("DR", 120)
            admin.load(
                [booking(code, f"DRILL-{i}", office, party_size=rng.randint(1, 3)) for i, code in enumerate(pool)]
            )
            for gate in ("G1", "G2"):
                store = KioskStore.open(directory / f"kiosk-{gate}.db")
                enrol(store, server.url, admin.enrol(office, gate), gate)
                stores.append(store)
            clients = [SyncClient(store, timeout_s=1.0) for store in stores]
            gates = [OnlineGate(store, timeout_s=0.3) for store in stores]
            for client in clients:
                client.sync_once()
            print(f"server {server.url} on {args.backend}; kiosks G1, G2 synced {len(pool)} bookings")
            server.faults(rate=args.rate, random_kinds=list(KINDS), seed=args.seed)
            decided, syncs = run_rounds(args.rounds, rng, admin, office, pool, gates, clients)
            injected = server.calm()["injected"]
            print(f"faults injected: {dict(sorted(injected.items()))}")
            print(f"decisions: {dict(decided)}; sync attempts under faults: {dict(syncs)}")
            for client in clients:
                for attempt in range(5):
                    try:
                        client.sync_once()
                        break
                    except SyncError:
                        if attempt == 4:
                            raise
            problems = compare(admin, office, stores)
        finally:
            with contextlib.suppress(NameError):
                for gate in gates:
                    gate.close()
                for client in clients:
                    client.close()
            for store in stores:
                store.close()
            server.stop()
            admin.close()
    if problems:
        print("FAILED:\n  " + "\n  ".join(problems))
        return 1
    print("OK: the server holds exactly the kiosks' events and the kiosks exactly the office's bookings")
    return 0


def run_rounds(
    rounds: int,
    rng: random.Random,
    admin: Admin,
    office: str,
    pool: list[str],
    gates: list[OnlineGate],
    clients: list[SyncClient],
) -> tuple[Counter[str], Counter[str]]:
    """Each round: the office books (and cancels), each gate sees four codes, each kiosk tries to sync."""
    decided: Counter[str] = Counter()
    syncs: Counter[str] = Counter()
    extra = codes("DX", rounds)
    for number in range(rounds):
        admin.load([booking(extra[number], f"DRILL-X{number}", office)])
        if number % 4 == 3:
            admin.cancel(pool[number])
        for gate, client in zip(gates, clients, strict=True):
            for _ in range(4):
                shown = rng.choice([*pool, *extra[: number + 1], "DRNOTABOOKING"])
                decided["online" if gate.present(shown, now()).online else "local"] += 1
            try:
                client.sync_once()
                syncs["ok"] += 1
            except SyncError as exc:
                syncs[type(exc).__name__] += 1
    return decided, syncs


def compare(admin: Admin, office: str, stores: list[KioskStore]) -> list[str]:
    problems: list[str] = []
    server_uuids = admin.event_uuids(office)
    local = [uuid for store in stores for uuid in kiosk_event_uuids(store)]
    if len(server_uuids) != len(set(server_uuids)):
        problems.append("duplicate events on the server")
    missing, unknown = set(local) - set(server_uuids), set(server_uuids) - set(local)
    if missing or unknown:
        problems.append(f"{len(missing)} kiosk event(s) missing on the server, {len(unknown)} server event(s) unknown")
    rows = {row.event_uuid: row for row in admin.events(office)}
    for store in stores:
        if store.decisions.outbox_size():
            problems.append(f"{store.decisions.outbox_size()} event(s) still in an outbox")
        for uuid in kiosk_event_uuids(store):
            event, row = store.decisions.event(uuid), rows.get(uuid)
            if (
                event
                and row
                and (row.verdict, row.reason, row.persons) != (event["verdict"], event["reason"], event["persons"])
            ):
                problems.append(f"event {uuid} differs: server {row.reason}, kiosk {event['reason']}")
    with reading(admin.engine) as connection:
        expected = {
            (ref, status)
            for ref, status in connection.execute(
                select(ServerBooking.booking_ref, ServerBooking.status).where(ServerBooking.office_code == office)
            ).all()
        }
    for store in stores:
        with store.reading() as connection:
            held = set(connection.execute(select(BookingRow.booking_ref, BookingRow.status)).all())
        if held != expected:
            problems.append(f"a kiosk's bookings differ from the server's: {len(held ^ expected)} difference(s)")
    total = len(server_uuids)
    print(f"events: server {total}, kiosks {len(local)} ({', '.join(str(len(kiosk_event_uuids(s))) for s in stores)})")
    return problems


if __name__ == "__main__":
    sys.exit(main())
