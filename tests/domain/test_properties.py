"""Properties of parse_payload + decide over arbitrary input: total, closed, and never ADMIT a non-code.

Scenarios are random but aimed: the booking is for 9-11 March 2025 and the scan falls in 8-12 March, so a
good share of code payloads really are admitted (test_scenarios_do_reach_admit checks that), which is
what makes "a non-code payload is never admitted" mean something.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import string
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st

from kiosk.domain.decide import Presentation, arrival_window, decide
from kiosk.domain.explain import explain_both
from kiosk.domain.model import (
    VERDICT_OF,
    Booking,
    Category,
    Circumstances,
    Decision,
    Entry,
    OfficeRules,
    PartyAdmission,
    Reason,
    ReentryPolicy,
    Status,
    Verdict,
)
from kiosk.domain.payload import MAX_CODE_CHARS, MIN_CODE_CHARS, PayloadKind, parse_payload
from tests.domain.test_decide import CODE, OFFICE, OTHER_OFFICE, SIGNED

PROPERTY = settings(max_examples=300, deadline=None)
CHEAP = settings(max_examples=500, deadline=None)

OFFICE_ZONES = ["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"]
ANY_ZONE = st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=-3)), *map(ZoneInfo, OFFICE_ZONES)])

bookings = st.builds(
    Booking,
    booking_ref=st.just("B-1"),
    office_code=st.sampled_from([OFFICE, OFFICE.lower(), OTHER_OFFICE]),
    service_date=st.dates(dt.date(2024, 12, 30), dt.date(2025, 1, 2)),  # across a year end
    slot_start=st.times(),
    slot_end=st.times(),
    status=st.just(Status.ACTIVE) | st.sampled_from(Status),
    party_size=st.integers(1, 5),
    category=st.sampled_from(Category),
    display_name=st.just("Siti Rahayu"),
    nik_last4=st.just("7391"),
)

rules = st.builds(
    OfficeRules,
    office_code=st.just(OFFICE),
    zone=st.sampled_from([*OFFICE_ZONES, "WIB", "wita", "WIT", "Asia/Pontianak"]),
    early_minutes=st.integers(0, 240),
    late_minutes=st.integers(0, 240),
    allow_later_same_day=st.booleans(),
    reentry=st.sampled_from(ReentryPolicy),
    party_admission=st.sampled_from(PartyAdmission),
    max_data_age_minutes=st.integers(0, 120),
    refer_categories=st.just(frozenset[Category]()) | st.frozensets(st.sampled_from(Category)),
)


@dataclass(frozen=True)
class World:
    """Everything decide() gets besides the presentation."""

    booking: Booking | None
    previous: list[Entry]
    office: OfficeRules
    situation: Circumstances


@st.composite
def worlds(draw: st.DrawFn, with_booking: bool | None = None) -> World:
    """A random world whose scan time lies near an edge of the booking's arrival window, or up to 36 h off."""
    office = draw(rules)
    booking = draw(bookings)
    anchor = draw(st.sampled_from(arrival_window(booking, office)))  # near an edge of the window, or far off
    offset = dt.timedelta(seconds=draw(st.integers(-90, 90) | st.integers(-36 * 3600, 36 * 3600)))
    now = (anchor + offset).astimezone(draw(ANY_ZONE))
    if draw(st.sampled_from([False] * 19 + [True])):
        now = now.replace(tzinfo=None)  # a naive time now and then: must end OUT_OF_ORDER
    previous = draw(
        st.lists(
            st.builds(
                Entry,
                at=st.integers(1, 600).map(lambda minutes: now - dt.timedelta(minutes=minutes)),
                gate=st.sampled_from(["G1", "G2"]),
                persons=st.integers(1, 5),
            ),
            max_size=3,
        )
    )
    situation = Circumstances(
        now=now,
        data_age=draw(st.none() | st.timedeltas(min_value=dt.timedelta(hours=-1), max_value=dt.timedelta(days=3))),
        clock_trusted=draw(st.just(True) | st.booleans()),
    )
    present = draw(st.booleans()) if with_booking is None else with_booking
    return World(booking if present else None, previous, office, situation)


ALNUM = string.ascii_letters + string.digits


@st.composite
def code_texts(draw: st.DrawFn) -> str:
    """Text the booking-code grammar accepts, before canonicalisation: any case, optional hyphen groups."""
    body = draw(st.text(alphabet=ALNUM, min_size=MIN_CODE_CHARS - 1, max_size=MAX_CODE_CHARS - 1))
    at = draw(st.integers(0, len(body)))
    body = body[:at] + draw(st.sampled_from(string.ascii_letters)) + body[at:]  # at least one letter
    cuts = draw(st.sets(st.integers(1, len(body) - 1), max_size=4))
    for cut in sorted(cuts, reverse=True):
        body = body[:cut] + "-" + body[cut:]
    return body


edge_space = st.text(alphabet=" \t\r\n", max_size=3)
FOREIGN = [
    "https://m-paspor.imigrasi.go.id/",
    "WIFI:S:x;T:WPA;P:y;;",
    "BEGIN:VCARD\r\nFN:Siti\r\nEND:VCARD",
    "HC1:NCFOXN%TS3DH",
    "3174012501900001",
    "820250310123456",
    "%s%n{0}",
    '=HYPERLINK("http://x","y")',
    "' OR 1=1 --",
    "",
    " \r\n",
]
raw_payloads = st.one_of(
    st.binary(max_size=600),
    st.text(max_size=80),
    st.text(alphabet=st.characters(exclude_categories=()), max_size=40),  # with lone surrogates
    st.builds(
        lambda code, at, s: code[:at] + chr(s) + code[at:],
        st.just(CODE),
        st.integers(0, 12),
        st.integers(0xD800, 0xDFFF),
    ),
    st.sampled_from([CODE, SIGNED, *FOREIGN]),
    st.builds(lambda a, code, b: a + code + b, edge_space, code_texts(), edge_space),
    st.builds(lambda code, junk: code + junk, st.sampled_from([CODE, SIGNED]), st.text(max_size=4)),
)


def _check_decision(decision: Decision) -> None:
    assert isinstance(decision.verdict, Verdict)
    assert isinstance(decision.reason, Reason)
    assert decision.verdict is VERDICT_OF[decision.reason]
    for text in explain_both(decision):
        assert text.title
        assert text.sentence


def run(world: World, presentation: Presentation) -> Decision:
    return decide(presentation, world.booking, world.previous, world.office, world.situation)


OTHER_CODES = st.just(0) | st.integers(0, 2)
SIGNATURE = st.none() | st.booleans()


@PROPERTY
@given(raw=raw_payloads, world=worlds(), other_codes=OTHER_CODES, signature_valid=SIGNATURE)
def test_parse_and_decide_are_total_and_never_admit_a_non_code(
    raw: str | bytes, world: World, other_codes: int, signature_valid: bool | None
) -> None:
    payload = parse_payload(raw)
    assert isinstance(payload.kind, PayloadKind)
    decision = run(world, Presentation(payload, other_codes, signature_valid))
    _check_decision(decision)
    if not payload.is_code:
        assert decision.verdict is not Verdict.ADMIT
        assert decision.reason in (Reason.NOT_A_BOOKING, Reason.MULTIPLE_CODES, Reason.OUT_OF_ORDER)


code_payloads = st.builds(
    lambda a, code, b: a + code + b,
    edge_space,
    st.sampled_from([False] * 3 + [True]).flatmap(lambda signed: st.just(SIGNED) if signed else code_texts()),
    edge_space,
)


@PROPERTY
@given(
    raw=code_payloads | raw_payloads,
    world=worlds(with_booking=True),
    other_codes=OTHER_CODES,
    signature_valid=SIGNATURE,
)
def test_admit_only_when_every_condition_holds(
    raw: str | bytes, world: World, other_codes: int, signature_valid: bool | None
) -> None:
    payload = parse_payload(raw)
    decision = run(world, Presentation(payload, other_codes, signature_valid))
    _check_decision(decision)
    if decision.verdict is not Verdict.ADMIT:
        assert decision.persons == 0
        return
    booking, office, now = world.booking, world.office, world.situation.now
    assert booking is not None
    assert payload.is_code
    assert other_codes == 0
    assert payload.kind is PayloadKind.BOOKING_CODE or signature_valid is True
    assert world.situation.clock_trusted
    assert booking.status is Status.ACTIVE
    assert booking.office_code.upper() == office.office_code.upper()
    assert booking.category not in office.refer_categories
    assert 1 <= decision.persons <= booking.party_size
    opens, closes = arrival_window(booking, office)
    late_same_day = office.allow_later_same_day and now.astimezone(office.tz).date() == booking.service_date
    assert opens <= now <= closes or (late_same_day and now > closes)
    if office.reentry is ReentryPolicy.ONCE_PER_DAY:
        assert sum(e.persons for e in world.previous) < booking.party_size


@PROPERTY
@given(world=worlds(), zone=ANY_ZONE, raw=st.sampled_from([CODE, SIGNED]))
def test_decision_does_not_depend_on_the_zone_the_instant_is_written_in(
    world: World, zone: dt.tzinfo, raw: str
) -> None:
    if world.situation.now.tzinfo is None:
        return
    presentation = Presentation(parse_payload(raw), signature_valid=True)
    moved = dataclasses.replace(
        world, situation=dataclasses.replace(world.situation, now=world.situation.now.astimezone(zone))
    )
    first = run(world, presentation)
    assert run(moved, presentation) == first
    assert run(world, presentation) == first  # pure: the same answer again


def test_generated_worlds_do_reach_admit() -> None:
    """The worlds are not vacuous: a booking code in them is admitted, and a foreign payload is not."""
    code = Presentation(parse_payload(CODE))
    world = find(
        worlds(with_booking=True),
        lambda w: run(w, code).verdict is Verdict.ADMIT,
        settings=settings(max_examples=2000, database=None, phases=[Phase.generate]),
    )
    for raw in FOREIGN:
        assert run(world, Presentation(parse_payload(raw))).reason is Reason.NOT_A_BOOKING


# --- the grammar on its own ------------------------------------------------------------------------------------


@CHEAP
@given(raw=st.binary(max_size=600) | st.text(max_size=200))
def test_parse_is_total_and_codes_are_canonical(raw: str | bytes) -> None:
    payload = parse_payload(raw)
    assert isinstance(payload.kind, PayloadKind)
    if payload.kind is PayloadKind.BOOKING_CODE:
        assert MIN_CODE_CHARS <= len(payload.code) <= MAX_CODE_CHARS
        assert set(payload.code) <= set(string.ascii_uppercase + string.digits)
    elif payload.kind is PayloadKind.SIGNED_CODE:
        assert payload.code.startswith("KS1.")
        assert set(payload.code[4:]) <= set(string.ascii_uppercase + "234567")
    else:
        assert payload.code == ""


@CHEAP
@given(code=code_texts(), before=edge_space, after=edge_space, upper=st.booleans())
def test_any_valid_code_is_accepted_and_canonicalised(code: str, before: str, after: str, upper: bool) -> None:
    raw = before + (code.upper() if upper else code) + after
    payload = parse_payload(raw)
    assert payload.kind is PayloadKind.BOOKING_CODE
    assert payload.code == code.upper().replace("-", "")
    assert parse_payload(payload.code) == payload


def _foreign_char(ch: str) -> bool:
    return not (ch.isascii() and (ch.isalnum() or ch == "-"))


@CHEAP
@given(code=code_texts(), data=st.data())
def test_one_foreign_character_inside_a_code_is_never_a_code(code: str, data: st.DataObject) -> None:
    """Look-alikes, invisible characters, controls, spaces: one inside a valid code makes it no code."""
    ch = data.draw(st.characters(codec="utf-8").filter(_foreign_char) | st.sampled_from("\u202e\u200b\x00\u0410\uff11"))
    at = data.draw(st.integers(1, len(code) - 1))
    assert not parse_payload(code[:at] + ch + code[at:]).is_code


@CHEAP
@given(digits=st.text(alphabet=string.digits, min_size=1, max_size=40))
def test_digits_alone_are_never_a_booking_code(digits: str) -> None:
    payload = parse_payload(digits)
    assert not payload.is_code
    expected = {15: PayloadKind.BILLING_CODE, 16: PayloadKind.NATIONAL_ID}.get(len(digits), PayloadKind.OTHER)
    assert payload.kind is expected
