"""Demo data (kiosk/demo/data.py): realistic, complete (every outcome can be shown), reproducible, and
importable; the QR sheet decodes; `kiosk demo-data` writes it all."""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import zxingcpp
from PIL import Image

from kiosk import cli
from kiosk.demo import data as demo_data
from kiosk.demo.showcase import DEMO_NIK, DEMO_URL
from kiosk.domain.decide import Presentation
from kiosk.domain.model import PATTERN_REASONS, Category, OfficeRules, Reason, Status
from kiosk.domain.payload import PayloadKind, parse_payload
from kiosk.store.db import KioskStore
from kiosk.store.importer import BookingFile, ImportFormat, RowProblem

DAY = dt.date(2027, 3, 15)
WITA = ZoneInfo("Asia/Makassar")
RULES = OfficeRules("DPS", zone="Asia/Makassar")
#: Reasons no typed code can produce on a standalone kiosk: a bad signature (signed mode), stale sync
#: data (an enrolled kiosk), several codes in one camera frame, a fault, and the broker patterns (several scans).
NOT_FROM_ONE_CODE = {Reason.FORGED, Reason.STALE_DATA, Reason.MULTIPLE_CODES, Reason.OUT_OF_ORDER} | PATTERN_REASONS


@pytest.fixture(autouse=True)
def own_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("KIOSK_DB", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> demo_data.DemoFiles:
    return demo_data.write_demo_files(tmp_path_factory.mktemp("demo"), "DPS", "WITA", DAY, 40, seed=11)


def fail_on_problem(problem: RowProblem) -> None:
    pytest.fail(f"unexpected problem on line {problem.line}: {problem.reason}")


def home_day(bookings: list[demo_data.DemoBooking]) -> list[demo_data.DemoBooking]:
    return [b for b in bookings if b.booking.office_code == "DPS" and b.booking.service_date == DAY]


# --- codes and names ------------------------------------------------------------------------------------


def test_codes_follow_the_booking_grammar_without_ambiguous_letters() -> None:
    rng = random.Random(1)
    codes = [demo_data.new_code(rng) for _ in range(500)]
    assert len(set(codes)) == 500
    for code in codes:
        assert re.fullmatch(r"[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}", code), code
        payload = parse_payload(code)
        assert (payload.kind, payload.code) == (PayloadKind.BOOKING_CODE, code.replace("-", ""))


def test_codes_are_reproducible_with_a_seed() -> None:
    first = [demo_data.new_code(random.Random(5)) for _ in range(3)]
    assert first == [demo_data.new_code(random.Random(5)) for _ in range(3)]
    assert demo_data.new_code(random.Random(5)) != demo_data.new_code(random.Random(6))


@pytest.mark.parametrize(
    ("zone", "typical"),
    [
        ("Asia/Makassar", r"^(I|Ni) (Wayan|Putu|Gede|Made|Kadek|Nyoman|Komang|Ketut) "),
        ("Asia/Jayapura", r"Wenda|Kambu"),
    ],
)
def test_names_are_varied_and_follow_the_region(zone: str, typical: str) -> None:
    rng = random.Random(3)
    names = [demo_data.random_name(rng, zone) for _ in range(300)]
    assert len(set(names)) > 150
    assert sum(bool(re.search(typical, name)) for name in names) > 20
    assert all(name.isprintable() and 3 <= len(name) <= 60 for name in names)


# --- a day of bookings ----------------------------------------------------------------------------------


def test_a_day_has_every_status_category_and_party_size(files: demo_data.DemoFiles) -> None:
    day = home_day(files.bookings)
    assert {b.booking.status for b in day} == set(Status)
    assert {b.booking.category for b in day} == set(Category)
    assert {b.booking.party_size for b in day} == {1, 2, 3, 4, 5}
    assert len({b.booking.office_code for b in files.bookings}) > 1
    assert len({b.booking.service_date for b in files.bookings}) > 1
    assert len(files.bookings) == 40


def test_slots_fill_the_office_day(files: demo_data.DemoFiles) -> None:
    for item in files.bookings:
        start, end = item.booking.slot_start, item.booking.slot_end
        assert dt.time(8) <= start < end <= dt.time(15)
        assert start.minute in (0, 30)
    assert len({b.booking.slot_start for b in home_day(files.bookings)}) > 6


def test_codes_and_references_are_unique(files: demo_data.DemoFiles) -> None:
    assert len({b.code for b in files.bookings}) == len({b.booking.booking_ref for b in files.bookings}) == 40


def test_the_same_seed_gives_the_same_files(tmp_path: Path, files: demo_data.DemoFiles) -> None:
    again = demo_data.write_demo_files(tmp_path, "DPS", "WITA", DAY, 40, seed=11)
    assert again.csv.read_bytes() == files.csv.read_bytes()
    assert again.jsonl.read_bytes() == files.jsonl.read_bytes()
    assert [p.read_bytes() for p in again.pngs] == [p.read_bytes() for p in files.pngs]
    other = demo_data.write_demo_files(tmp_path / "other", "DPS", "WITA", DAY, 40, seed=12)
    assert other.csv.read_bytes() != files.csv.read_bytes()


def test_a_day_needs_room_for_every_kind() -> None:
    with pytest.raises(ValueError, match="at least 16"):
        demo_data.generate_day("DPS", "WITA", DAY, 15, random.Random(1))


# --- the files ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", [ImportFormat.CSV, ImportFormat.JSONL])
def test_the_exports_import_cleanly(files: demo_data.DemoFiles, fmt: ImportFormat) -> None:
    export = BookingFile(files.csv if fmt is ImportFormat.CSV else files.jsonl, fmt, naive_zone=WITA)
    export.check()
    imported = list(export.bookings(fail_on_problem))
    assert [(i.code, i.booking) for i in imported] == [(b.incoming().code, b.booking) for b in files.bookings]


def test_the_qr_sheet_is_a4_pages_that_decode(files: demo_data.DemoFiles) -> None:
    assert len(files.pngs) == 4  # 12 codes a page
    for number, path in enumerate(files.pngs):
        with Image.open(path) as page:
            assert page.size == demo_data.PAGE_SIZE
            decoded = sorted(result.text for result in zxingcpp.read_barcodes(page))
        expected = sorted(b.code for b in files.bookings[number * 12 : (number + 1) * 12])
        assert decoded == expected
    pdf = files.pdf.read_bytes()
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 4


def test_sheet_labels_say_what_is_special() -> None:
    rng = random.Random(2)
    day = {(b.booking.status, b.booking.category, b.booking.office_code, b.booking.service_date): b for b in
           demo_data.generate_day("DPS", "WITA", DAY, 16, rng)}  # fmt: skip
    labels = [demo_data.sheet_label(b, "DPS", DAY, "Asia/Makassar") for b in day.values()]
    firsts = {label[0].split(" · ")[0] for label in labels}
    assert all(re.fullmatch(r"\d\d\.\d\d-\d\d\.\d\d WITA", first) for first in firsts)
    seconds = " / ".join(label[1] for label in labels)
    for words in ("cancelled", "rescheduled", "unpaid", "priority walk-in", "lost passport", "office ", "March 2027"):
        assert words in seconds
    assert any(label[1] == "active · regular" for label in labels)


# --- every reason, at suitable times ----------------------------------------------------------------------


def at(day: dt.date, clock: dt.time, delta: dt.timedelta = dt.timedelta(0)) -> dt.datetime:
    return dt.datetime.combine(day, clock, tzinfo=WITA) + delta


def moments(item: demo_data.DemoBooking) -> Iterator[dt.datetime]:
    """When to show a booking at the kiosk on the demo day: during its slot, three hours before, three
    hours after (a booking for another day is shown on the demo day too)."""
    booking = item.booking
    yield at(DAY, booking.slot_start, dt.timedelta(minutes=5))
    yield at(DAY, booking.slot_start, -dt.timedelta(hours=3))
    yield at(DAY, booking.slot_end, dt.timedelta(hours=3))


def test_every_reason_appears_when_checking_the_demo_codes(files: demo_data.DemoFiles, tmp_path: Path) -> None:
    db = tmp_path / "k.db"
    assert cli.main(["setup", "--db", str(db), "--office", "DPS", "--zone", "WITA"]) == 0
    assert cli.main(["import", "--db", str(db), str(files.csv)]) == 0
    seen: set[Reason] = set()
    with KioskStore.open(db, create=False, upgrade=False) as store:
        for item in files.bookings:
            for moment in moments(item):
                seen.add(store.decisions.decide_only(Presentation(parse_payload(item.code)), moment).reason)
        admit = next(b for b in home_day(files.bookings) if b.booking.status is Status.ACTIVE
                     and b.booking.category is Category.REGULAR)  # fmt: skip
        during = next(moments(admit))
        for _ in range(2):
            seen.add(store.decisions.record(Presentation(parse_payload(admit.code)), during, "test").decision.reason)
        others = [DEMO_NIK, DEMO_URL, demo_data.new_code(random.Random(99))]
        seen.update(store.decisions.decide_only(Presentation(parse_payload(text)), during).reason for text in others)
        long_ago = at(dt.date(2020, 1, 1), dt.time(10))  # before the build date: the clock is wrong
        seen.add(store.decisions.decide_only(Presentation(parse_payload(admit.code)), long_ago).reason)
    assert seen == set(Reason) - NOT_FROM_ONE_CODE


# --- the command ----------------------------------------------------------------------------------------


def test_kiosk_demo_data_writes_everything_and_the_csv_imports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["demo-data", "--office", "dps", "--zone", "wita", "--date", "2027-03-15", "--seed", "1", "--out", "out"]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert out.startswith("wrote 40 demo bookings for office DPS on 2027-03-15 to out:")
    names = sorted(path.name for path in (tmp_path / "out").iterdir())
    assert names == ["bookings.csv", "bookings.jsonl", *(f"qr-sheet-{n}.png" for n in range(1, 5)), "qr-sheet.pdf"]
    assert cli.main(["setup", "--db", "k.db", "--office", "DPS", "--zone", "WITA"]) == 0
    assert cli.main(["import", "--db", "k.db", "out/bookings.csv"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "imported 40 bookings, 0 rows refused"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--count", "5"], 1, "--count must be at least 16"),
        (["--zone", "CET"], 1, "not an Indonesian office time zone"),
        (["--office", "D P S"], 1, "not an office code"),
        (["--date", "2027-02-30"], 2, "no such day"),
    ],
)
def test_kiosk_demo_data_refuses_bad_options(
    capsys: pytest.CaptureFixture[str], args: list[str], code: int, message: str
) -> None:
    assert cli.main(["demo-data", *args]) == code
    assert message in capsys.readouterr().err
