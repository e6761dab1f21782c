"""Demo bookings that look like an office's day, and a printable sheet of their QR codes.

Two uses. `kiosk demo-data` writes a day of bookings for an office (CSV and JSON lines, ready for
`kiosk import`) and a QR sheet (PNG pages and one PDF) so someone can try the kiosk with a phone or a
printout. `kiosk demo` fills its own demo database with a showcase of these bookings, one for every
outcome (kiosk/demo/showcase.py).

Everything here is made up: names are common Indonesian names from several regions, NIK digits are
random, codes are random strings from the booking-code grammar (no 0/O/1/I to misread). With a seed,
everything is reproducible. No Qt here: the sheet is drawn with Pillow.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import segno
from PIL import Image, ImageDraw, ImageFont

from kiosk.domain.decide import format_time
from kiosk.domain.explain import Lang, format_date
from kiosk.domain.model import ZONE_ABBREVIATION, Booking, Category, Status, zone_named
from kiosk.domain.payload import parse_payload
from kiosk.store.bookings import IncomingBooking
from kiosk.store.importer import ALL_FIELDS
from kiosk.store.times import to_text

#: Booking-code alphabet: no 0/O, 1/I to misread from a phone screen or a printout.
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_GROUPS, GROUP_CHARS = 3, 4

DEFAULT_OFFICE, DEFAULT_ZONE = "DPS", "WITA"
OFFICE_OPENS, OFFICE_CLOSES = dt.time(8, 0), dt.time(15, 0)
SLOT_MINUTES = 30
#: One booking of every kind `generate_day` guarantees; a smaller count cannot show them all.
MIN_DAY_COUNT = 16

#: Nearby offices per zone, for bookings made for another office.
OTHER_OFFICES = {
    "Asia/Jakarta": ("JKS", "JKT", "BDG", "SBY", "MDN", "SMG"),
    "Asia/Pontianak": ("PTK", "SKW", "KTP"),
    "Asia/Makassar": ("SGR", "MTR", "MKS", "BPN", "KPG"),
    "Asia/Jayapura": ("JYP", "AMB", "SON", "MRK", "TIM"),
}
#: The full names of the demo's offices (the immigration offices of those towns), as a server's office
#: directory would give them: the applicant screen and the report show them, and a booking for another
#: office is answered with that office's name.
OFFICE_NAMES = {
    "DPS": "Kantor Imigrasi Kelas I TPI Denpasar",
    "SGR": "Kantor Imigrasi Kelas II TPI Singaraja",
    "MTR": "Kantor Imigrasi Kelas I TPI Mataram",
    "MKS": "Kantor Imigrasi Kelas I Khusus TPI Makassar",
    "BPN": "Kantor Imigrasi Kelas I TPI Balikpapan",
    "KPG": "Kantor Imigrasi Kelas I TPI Kupang",
    "JKS": "Kantor Imigrasi Kelas I Khusus Non TPI Jakarta Selatan",
    "JKT": "Kantor Imigrasi Kelas I Khusus Non TPI Jakarta Pusat",
    "BDG": "Kantor Imigrasi Kelas I TPI Bandung",
    "SBY": "Kantor Imigrasi Kelas I Khusus TPI Surabaya",
    "MDN": "Kantor Imigrasi Kelas I Khusus TPI Medan",
    "SMG": "Kantor Imigrasi Kelas I TPI Semarang",
    "PTK": "Kantor Imigrasi Kelas I TPI Pontianak",
    "JYP": "Kantor Imigrasi Kelas I TPI Jayapura",
    "AMB": "Kantor Imigrasi Kelas I TPI Ambon",
}


# --- codes and names --------------------------------------------------------------------------------


def new_code(rng: random.Random) -> str:
    """A code as printed: groups like MP7K-4Q9X-H2PT (60 random bits), with at least one letter."""
    while True:
        chars = "".join(rng.choice(CODE_ALPHABET) for _ in range(CODE_GROUPS * GROUP_CHARS))
        if any(ch.isalpha() for ch in chars):
            return "-".join(chars[i : i + GROUP_CHARS] for i in range(0, len(chars), GROUP_CHARS))


# Given names and family names by region. Many Indonesians have one name, many have no family name;
# Balinese names carry a birth-order name, Batak and Minahasa names a clan (marga).
_JAVANESE = (
    ("Budi", "Agus", "Joko", "Bambang", "Slamet", "Sri", "Siti", "Dewi", "Wahyu", "Dwi", "Tri", "Eko", "Endang",
     "Rini", "Yuni", "Heru", "Bayu", "Putri", "Rizky", "Fajar", "Teguh", "Kartini", "Nur"),
    ("Santoso", "Setiawan", "Wibowo", "Susanto", "Prasetyo", "Kurniawati", "Rahayu", "Lestari", "Wahyuni",
     "Handayani", "Purnomo", "Nugroho", "Hartono", "Saputra", "Pratama", "Utomo", "Sulistyowati"),
)  # fmt: skip
_JAVANESE_SINGLE = ("Suparmi", "Wagiman", "Sumarni", "Tukiyem", "Ponirah", "Sukardi", "Paiman", "Sutinah")
_SUNDANESE = (
    ("Asep", "Ujang", "Dadang", "Cecep", "Euis", "Neneng", "Iis", "Yayan", "Entin", "Dede", "Rina"),
    ("Sunandar", "Hidayat", "Komalasari", "Permana", "Sukmawati", "Kurnia", "Mulyana", "Rustandi", "Suryadi"),
)  # fmt: skip
_BALINESE_ORDER = (("Wayan", "Putu", "Gede"), ("Made", "Kadek"), ("Nyoman", "Komang"), ("Ketut",))
_BALINESE_GIVEN = (
    ("Wirawan", "Sudarsana", "Astawa", "Suardana", "Mahendra", "Wiranata", "Arsana", "Budiarta"),
    ("Ayu Lestari", "Artini", "Ariani", "Juliani", "Sri Wahyuni", "Eka Pratiwi", "Suciani", "Rusmini"),
)
_BATAK = (
    ("Togar", "Hotman", "Rosmawati", "Lasmaria", "Poltak", "Tiurma", "Darwin", "Marudut", "Friska", "Monang"),
    ("Simanjuntak", "Siregar", "Nainggolan", "Sitompul", "Hutapea", "Simatupang", "Pardede", "Sinaga",
     "Situmorang", "Lubis", "Nasution", "Harahap", "Tampubolon"),
)  # fmt: skip
_MINANG = (
    ("Rahmat", "Yusril", "Fitri", "Rahmi", "Afrizal", "Novita", "Zulkifli", "Yeni", "Hendri", "Ratna"),
    ("Hidayat", "Putra", "Syafitri", "Ramadhan", "Anwar", "Yusuf", "Chaniago", "Piliang"),
)
_BUGIS = (
    ("Baso", "Tenri", "Arung", "Irwan", "Syamsul", "Hasnah", "Rahmawati", "Fitriani", "Muhammad Ilham", "Nurul"),
    ("Amir", "Rasyid", "Tahir", "Latief", "Hamzah", "Mappanyukki", "Makkasau", "Pawelloi"),
)
_MINAHASA = (
    ("Stevanus", "Grace", "Johanis", "Meiske", "Frangky", "Novi", "Jeffry", "Vivi", "Hendrik", "Lidya"),
    ("Wowor", "Rumengan", "Lumowa", "Pangemanan", "Sondakh", "Tumbelaka", "Mandagi", "Kawengian", "Wenas"),
)
_CHINESE_INDONESIAN = (
    ("Yohanes", "Lina", "Hendra", "Fransiska", "Kevin", "Melisa", "Wilson", "Susanti", "Aditya", "Linda"),
    ("Wijaya", "Gunawan", "Halim", "Tanoto", "Salim", "Kurniawan", "Setiadi", "Tanuwidjaja", "Hartanto"),
)
_PAPUAN = (
    ("Yosias", "Maria", "Yance", "Naomi", "Obed", "Yuliana", "Marthen", "Ester", "Yakobus", "Fransina"),
    ("Wenda", "Kambu", "Rumbiak", "Wanggai", "Mandowen", "Yoku", "Ayomi", "Kogoya", "Tabuni", "Mirino"),
)
_AMBONESE = (
    ("Johan", "Nona", "Ronald", "Marlin", "Agustinus", "Selvi", "Yopi", "Merlin"),
    ("Latuconsina", "Sahetapy", "Tuhumury", "Lekatompessy", "Pattiasina", "Matulessy", "Tuasikal"),
)
_ACEHNESE = (
    ("Fadhil", "Munawar", "Rahmah", "Safrina", "Zulfikar", "Khairul", "Meutia", "Nurul Huda", "Rizal"),
    ("Ismail", "Abdullah", "Yusuf", "Ibrahim", "Hasan", "Daud", "Muhammad"),
)
_TWO_PART = {
    "javanese": _JAVANESE,
    "sundanese": _SUNDANESE,
    "batak": _BATAK,
    "minang": _MINANG,
    "bugis": _BUGIS,
    "minahasa": _MINAHASA,
    "chinese": _CHINESE_INDONESIAN,
    "papuan": _PAPUAN,
    "ambonese": _AMBONESE,
    "acehnese": _ACEHNESE,
}
#: Who tends to book at an office in each zone (rough: people move, transmigrants everywhere).
_REGION_WEIGHTS = {
    "Asia/Jakarta": {"javanese": 8, "sundanese": 5, "batak": 3, "minang": 3, "acehnese": 2, "chinese": 3,
                     "bugis": 1, "minahasa": 1, "balinese": 1, "papuan": 1, "ambonese": 1},
    "Asia/Pontianak": {"javanese": 5, "chinese": 5, "bugis": 3, "minang": 2, "batak": 2, "sundanese": 2},
    "Asia/Makassar": {"balinese": 7, "javanese": 5, "bugis": 5, "minahasa": 3, "chinese": 2, "sundanese": 1,
                      "batak": 1, "ambonese": 1, "papuan": 1},
    "Asia/Jayapura": {"papuan": 7, "ambonese": 4, "javanese": 4, "bugis": 3, "minahasa": 2, "batak": 1},
}  # fmt: skip


def random_name(rng: random.Random, zone: str = "Asia/Jakarta") -> str:
    """A plausible Indonesian name, weighted towards the regions that book at an office in `zone`."""
    weights = _REGION_WEIGHTS.get(zone, _REGION_WEIGHTS["Asia/Jakarta"])
    region = rng.choices(list(weights), weights=list(weights.values()))[0]
    if region == "balinese":
        return _balinese_name(rng)
    if region == "javanese" and rng.random() < 0.2:
        return rng.choice(_JAVANESE_SINGLE)
    given, family = _TWO_PART[region]
    name = f"{rng.choice(given)} {rng.choice(family)}"
    if region == "bugis" and rng.random() < 0.3:
        name = f"Andi {name}"
    if region == "acehnese" and rng.random() < 0.3:
        name = f"{rng.choice(('Teuku', 'Cut'))} {name}"
    return name


def _balinese_name(rng: random.Random) -> str:
    female = rng.random() < 0.5
    order = rng.choice(rng.choice(_BALINESE_ORDER))
    return f"{'Ni' if female else 'I'} {order} {rng.choice(_BALINESE_GIVEN[female])}"


# --- a day of bookings ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DemoBooking:
    """A booking with its code as printed on the QR (grouped, e.g. MP7K-4Q9X-H2PT)."""

    code: str
    booking: Booking
    updated_at: str

    def incoming(self) -> IncomingBooking:
        return IncomingBooking(parse_payload(self.code).code, self.booking, self.updated_at)


class BookingMaker:
    """Makes bookings with codes and references unique within one run."""

    def __init__(self, rng: random.Random, zone: str, updated_at: dt.datetime) -> None:
        self.rng = rng
        self.zone = zone
        self.updated_at = to_text(updated_at)
        self._codes: set[str] = set()
        self._refs: set[str] = set()

    def make(
        self,
        office: str,
        day: dt.date,
        start: dt.time,
        *,
        status: Status = Status.ACTIVE,
        category: Category = Category.REGULAR,
        party: int | None = None,
        minutes: int = SLOT_MINUTES,
    ) -> DemoBooking:
        end = (dt.datetime.combine(day, start) + dt.timedelta(minutes=minutes)).time()
        booking = Booking(
            booking_ref=self._unique(self._refs, lambda: f"MP-{day:%y%m%d}-{self.rng.randrange(10**8):08d}"),
            office_code=office,
            service_date=day,
            slot_start=start,
            slot_end=end,
            status=status,
            party_size=party or self._party_size(),
            category=category,
            display_name=random_name(self.rng, self.zone),
            nik_last4="" if self.rng.random() < 0.05 else f"{self.rng.randrange(10**4):04d}",
        )
        return DemoBooking(self._unique(self._codes, lambda: new_code(self.rng)), booking, self.updated_at)

    def _party_size(self) -> int:
        return self.rng.choices((1, 2, 3, 4, 5), weights=(50, 20, 15, 10, 5))[0]

    @staticmethod
    def _unique(seen: set[str], make: Callable[[], str]) -> str:
        while True:
            value = make()
            if value not in seen:
                seen.add(value)
                return value


def office_slots(opens: dt.time = OFFICE_OPENS, closes: dt.time = OFFICE_CLOSES) -> list[dt.time]:
    """Slot start times through the office day, every SLOT_MINUTES, the last one ending at closing."""
    day = dt.date(2000, 1, 1)
    start, end = dt.datetime.combine(day, opens), dt.datetime.combine(day, closes)
    slots = []
    while start + dt.timedelta(minutes=SLOT_MINUTES) <= end:
        slots.append(start.time())
        start += dt.timedelta(minutes=SLOT_MINUTES)
    return slots


def generate_day(office: str, zone: str, day: dt.date, count: int, rng: random.Random) -> list[DemoBooking]:
    """`count` bookings of an office's day: every status, category and party size at least once, some
    for other offices and other days, the rest ordinary. The office's own day first, by slot."""
    if count < MIN_DAY_COUNT:
        raise ValueError(f"a demo day needs at least {MIN_DAY_COUNT} bookings to show every kind")
    tz = zone_named(zone).key
    maker = BookingMaker(rng, tz, dt.datetime.combine(day - dt.timedelta(days=1), dt.time(18), tzinfo=ZoneInfo(tz)))
    slots = office_slots()
    others = [code for code in OTHER_OFFICES.get(tz, OTHER_OFFICES["Asia/Jakarta"]) if code != office]

    def slot() -> dt.time:
        return rng.choice(slots)

    made = [maker.make(office, day, slot(), status=status) for status in Status if status is not Status.ACTIVE]
    made += [maker.make(office, day, slot(), category=c) for c in Category if c is not Category.REGULAR]
    made += [maker.make(office, day, slot(), party=size) for size in range(1, 6)]
    made += [maker.make(rng.choice(others), day, slot()) for _ in range(2)]
    made += [maker.make(office, day + dt.timedelta(days=offset), slot()) for offset in (-1, 1, 7)]
    while len(made) < count:
        status = Status.ACTIVE if rng.random() < 0.9 else rng.choice(list(Status))
        made.append(maker.make(office, day, slot(), status=status))
    return sorted(made, key=lambda b: (not _is_home_day(b, office, day), *_export_order(b)))


def _is_home_day(item: DemoBooking, office: str, day: dt.date) -> bool:
    return item.booking.office_code == office and item.booking.service_date == day


def _export_order(item: DemoBooking) -> tuple[dt.date, str, dt.time, str]:
    booking = item.booking
    return booking.service_date, booking.office_code, booking.slot_start, item.code


# --- files --------------------------------------------------------------------------------------------


def export_fields(item: DemoBooking) -> dict[str, str | int]:
    """One booking as the export columns `kiosk import` reads."""
    booking = item.booking
    return {
        "code": item.code,
        "booking_ref": booking.booking_ref,
        "office": booking.office_code,
        "service_date": booking.service_date.isoformat(),
        "slot_start": booking.slot_start.strftime("%H:%M"),
        "slot_end": booking.slot_end.strftime("%H:%M"),
        "status": booking.status.value,
        "party_size": booking.party_size,
        "category": booking.category.value,
        "name": booking.display_name,
        "nik_last4": booking.nik_last4,
        "version": booking.version,
        "updated_at": item.updated_at,
    }


def write_csv(path: Path, bookings: Iterable[DemoBooking]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(ALL_FIELDS))
        writer.writeheader()
        for item in bookings:
            writer.writerow(export_fields(item))


def write_jsonl(path: Path, bookings: Iterable[DemoBooking]) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for item in bookings:
            handle.write(json.dumps(export_fields(item), ensure_ascii=False) + "\n")


@dataclass(frozen=True, slots=True)
class DemoFiles:
    bookings: list[DemoBooking]
    csv: Path
    jsonl: Path
    pdf: Path
    pngs: list[Path]


def write_demo_files(out: Path, office: str, zone: str, day: dt.date, count: int, seed: int | None) -> DemoFiles:
    """Everything `kiosk demo-data` writes: bookings.csv, bookings.jsonl, qr-sheet.pdf, qr-sheet-N.png."""
    rng = random.Random(seed)
    bookings = generate_day(office.upper(), zone, day, count, rng)
    out.mkdir(parents=True, exist_ok=True)
    files = DemoFiles(bookings, out / "bookings.csv", out / "bookings.jsonl", out / "qr-sheet.pdf", [])
    write_csv(files.csv, bookings)
    write_jsonl(files.jsonl, bookings)
    pages = render_sheet(bookings, office.upper(), zone_named(zone).key, day)
    for old in out.glob("qr-sheet-*.png"):
        old.unlink()
    for number, page in enumerate(pages, start=1):
        path = out / f"qr-sheet-{number}.png"
        page.save(path, "PNG", dpi=(SHEET_DPI, SHEET_DPI))
        files.pngs.append(path)
    pages[0].save(files.pdf, "PDF", resolution=float(SHEET_DPI), save_all=True, append_images=pages[1:])
    return files


# --- the QR sheet ---------------------------------------------------------------------------------------

SHEET_DPI = 150
PAGE_SIZE = (1240, 1754)  # A4 at 150 dpi
COLUMNS, ROWS = 3, 4
MARGIN, HEADER_HEIGHT = 60, 120
QR_MODULE_PX = 8
_GREY, _LIGHT = 90, 200


def qr_image(text: str, module_px: int = QR_MODULE_PX) -> Image.Image:
    """The QR code of `text` as a greyscale image, with the standard quiet zone of four modules."""
    qr = segno.make(text, error="m", micro=False)
    rows = [bytes(0 if dark else 255 for dark in row) for row in qr.matrix_iter(scale=1, border=4)]
    image = Image.frombytes("L", (len(rows[0]), len(rows)), b"".join(rows))
    return image.resize((image.width * module_px, image.height * module_px), Image.Resampling.NEAREST)


def sheet_label(item: DemoBooking, home_office: str, day: dt.date, zone: str) -> list[str]:
    """The lines under a QR: slot and party, then what is special about the booking, then the name."""
    booking = item.booking
    slot = f"{format_time(booking.slot_start)}-{format_time(booking.slot_end)} {ZONE_ABBREVIATION[zone]}"
    party = "party of 1" if booking.party_size == 1 else f"party of {booking.party_size}"
    special = [booking.status.value] if booking.status is not Status.ACTIVE else []
    if booking.category is not Category.REGULAR:
        special.append(_CATEGORY_LABEL[booking.category])
    if booking.office_code != home_office:
        special.append(f"office {booking.office_code}")
    if booking.service_date != day:
        special.append(format_date(booking.service_date, Lang.EN))
    return [slot + " · " + party, " · ".join(special) or "active · regular", booking.display_name]


_CATEGORY_LABEL = {
    Category.REGULAR: "regular",
    Category.PRIORITY_WALKIN: "priority walk-in",
    Category.LOST_PASSPORT_WALKIN: "lost passport",
    Category.SPECIAL_RESCHEDULE: "special reschedule",
}


def render_sheet(bookings: Sequence[DemoBooking], office: str, zone: str, day: dt.date) -> list[Image.Image]:
    """A4 pages of QR codes, COLUMNS x ROWS per page, each with its code and label, for printing."""
    per_page = COLUMNS * ROWS
    chunks = [bookings[i : i + per_page] for i in range(0, len(bookings), per_page)] or [[]]
    return [_render_page(chunk, office, zone, day, number, len(chunks)) for number, chunk in enumerate(chunks, start=1)]


def _render_page(
    chunk: Sequence[DemoBooking], office: str, zone: str, day: dt.date, number: int, pages: int
) -> Image.Image:
    page = Image.new("L", PAGE_SIZE, 255)
    draw = ImageDraw.Draw(page)
    title = f"Kiosk demo booking codes · office {office} ({ZONE_ABBREVIATION[zone]}) · {format_date(day, Lang.EN)}"
    draw.text((MARGIN, MARGIN - 20), title, font=_font(30), fill=0)
    note = f"DEMO DATA, NOT REAL BOOKINGS · names are made up · page {number} of {pages}"
    draw.text((MARGIN, MARGIN + 22), note, font=_font(20), fill=_GREY)
    cell_w = (PAGE_SIZE[0] - 2 * MARGIN) // COLUMNS
    cell_h = (PAGE_SIZE[1] - 2 * MARGIN - HEADER_HEIGHT) // ROWS
    for index, item in enumerate(chunk):
        left = MARGIN + (index % COLUMNS) * cell_w
        top = MARGIN + HEADER_HEIGHT + (index // COLUMNS) * cell_h
        _draw_cell(page, draw, item, (left, top, cell_w, cell_h), office, zone, day)
    return page


def _draw_cell(
    page: Image.Image,
    draw: ImageDraw.ImageDraw,
    item: DemoBooking,
    box: tuple[int, int, int, int],
    office: str,
    zone: str,
    day: dt.date,
) -> None:
    left, top, width, height = box
    draw.rectangle((left + 4, top + 4, left + width - 4, top + height - 4), outline=_LIGHT, width=1)
    qr = qr_image(item.code)
    page.paste(qr, (left + (width - qr.width) // 2, top + 8))
    y = top + 8 + qr.height
    lines = [(item.code, 26, True, 0)]
    lines += [(text, 18, False, 0 if i < 2 else _GREY) for i, text in enumerate(sheet_label(item, office, day, zone))]
    for text, size, mono, shade in lines:
        font = _font(size, mono)
        text_width = draw.textlength(text, font=font)
        draw.text((left + (width - text_width) / 2, y), text, font=font, fill=shade)
        y += int(size * 1.3)


def _font(size: int, mono: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu when the system has it (Debian/Ubuntu: fonts-dejavu-core), else Pillow's own font."""
    name = "DejaVuSansMono-Bold.ttf" if mono else "DejaVuSans.ttf"
    try:
        return ImageFont.truetype(name, size)
    except OSError:
        return ImageFont.load_default(size)
