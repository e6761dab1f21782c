"""The applicant screen as data: its states, what each one says in both languages, and when it changes.

Pure: no Qt, no clock. The window only renders a `Screen`; the controller feeds `ScreenMachine` with
what happened (a code seen, a recorded decision, a fault, a guard's acknowledgement) and the monotonic
time, and asks it when to look again. That keeps every rule of the screen testable without a window:

- CHECKING while a code is being decided; the answer replaces it only once it is recorded on disk;
- ADMIT, REFER and DENY time out back to IDLE; a DENY may stay until a guard acknowledges it;
- OUT OF ORDER is sticky while any fault (camera, database, gate) lasts. A fault never cuts short an
  answer already on screen (it was recorded, so it is true); it shows as soon as the answer times out.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from kiosk.domain.explain import Lang, explain
from kiosk.domain.model import Decision, Reason, Verdict


class ScreenState(enum.StrEnum):
    IDLE = "idle"
    CHECKING = "checking"
    ADMIT = "admit"
    REFER = "refer"
    DENY = "deny"
    OUT_OF_ORDER = "out_of_order"


class Fault(enum.StrEnum):
    """What can put the kiosk OUT OF ORDER; each clears on its own."""

    CAMERA = "camera"
    DATABASE = "database"
    GATE = "gate"


STATE_OF_VERDICT: dict[Verdict, ScreenState] = {
    Verdict.ADMIT: ScreenState.ADMIT,
    Verdict.REFER: ScreenState.REFER,
    Verdict.DENY: ScreenState.DENY,
}


def state_of(decision: Decision) -> ScreenState:
    if decision.reason is Reason.OUT_OF_ORDER:
        return ScreenState.OUT_OF_ORDER
    return STATE_OF_VERDICT[decision.verdict]


# --- what the screen says -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Words:
    """One state's text in one language: a big title, an optional big line (the party), a sentence."""

    title: str
    line: str = ""
    sentence: str = ""


@dataclass(frozen=True, slots=True)
class Screen:
    """Everything the applicant window shows, in both languages; no names, no NIK digits."""

    state: ScreenState
    words: dict[Lang, Words]
    awaiting_guard: bool = False
    event_uuid: str = ""
    #: When the screen times out, in the state machine's monotonic seconds (None: it stays). Set by
    #: ScreenMachine; the window counts down to it. Not part of what the screen says.
    until: float | None = field(default=None, compare=False)

    def in_order(self, first: Lang) -> tuple[Words, Words]:
        second = Lang.EN if first is Lang.ID else Lang.ID
        return self.words[first], self.words[second]


_IDLE = {
    Lang.ID: Words(
        "Tunjukkan QR M-Paspor Anda ke kamera",
        sentence="Tahan layar ponsel atau kertas 20–30 cm dari kamera, sampai kodenya terlihat di dalam kotak "
        "pada gambar kamera. Naikkan kecerahan layar ponsel Anda.",
    ),
    Lang.EN: Words(
        "Show your booking QR code to the camera",
        sentence="Hold your phone screen or paper 20–30 cm from the camera, until the code shows inside the box "
        "in the camera picture. Turn your phone's brightness up.",
    ),
}
_CHECKING = {
    Lang.ID: Words("MEMERIKSA…", sentence="Tahan QR Anda sebentar."),
    Lang.EN: Words("CHECKING…", sentence="Please hold your QR code still."),
}
PRIVACY_NOTICE = {
    Lang.ID: "Kamera hanya membaca kode QR dan tidak menyimpan gambar apa pun.",
    Lang.EN: "The camera only reads QR codes and keeps no images.",
}
AWAITING_GUARD = {
    Lang.ID: "Petugas sedang menuju ke sini.",
    Lang.EN: "An officer is on the way.",
}
_PLEASE_WAIT = {Lang.ID: "Mohon tunggu petugas.", Lang.EN: "Please wait for the officer."}
_FAULT_DETAIL = {
    Fault.CAMERA: {Lang.ID: "Kamera tidak berfungsi.", Lang.EN: "The camera is not working."},
    Fault.DATABASE: {Lang.ID: "Data tidak dapat disimpan.", Lang.EN: "Data cannot be saved."},
    Fault.GATE: {Lang.ID: "Pintu tidak dapat dibuka otomatis.", Lang.EN: "The gate cannot open by itself."},
}


_NEXT = {
    Lang.ID: ("Orang berikutnya dapat maju dalam {n} detik", "Orang berikutnya silakan maju"),
    Lang.EN: ("Next person may step up in {n} s", "Next person, please step up"),
}
#: While resting (nobody there for a while): one line that invites the next applicant.
RESTING = {
    Lang.ID: "Tunjukkan QR Anda untuk memulai",
    Lang.EN: "Show your QR code to start",
}


def countdown_text(until: float | None, now: float, lang: Lang) -> str:
    """How long until the next person may step up (whole seconds, rounded up); "" when the screen stays."""
    if until is None:
        return ""
    seconds = math.ceil(max(until - now, 0.0) - 1e-9)
    waiting, go = _NEXT[lang]
    return waiting.format(n=seconds) if seconds > 0 else go


def place_text(office_code: str, gate: str, lang: Lang, office_name: str = "") -> str:
    """Where the applicant is: the office (its name when one is known, else its code) and the gate."""
    if lang is Lang.ID:
        office = office_name or f"Kantor Imigrasi {office_code}"
        return f"{office} · Gerbang {gate}"
    office = office_name or f"Immigration Office {office_code}"
    return f"{office} · Gate {gate}"


_GATE = {Lang.ID: "Gerbang {gate}", Lang.EN: "Gate {gate}"}


def place_line(office_code: str, gate: str, first: Lang, office_name: str = "") -> str:
    """The place as the applicant's window shows it, both languages (`first` first, parts apart by
    "  ·  "). An office's name is the same in both, so it is said once: "NAME  ·  Gerbang G1 / Gate G1"."""
    order = (first, Lang.EN if first is Lang.ID else Lang.ID)
    if not office_name:
        return "  ·  ".join(place_text(office_code, gate, lang) for lang in order)
    return f"{office_name}  ·  " + " / ".join(_GATE[lang].format(gate=gate) for lang in order)


def party_line(persons: int, lang: Lang) -> str:
    if persons <= 1:
        return ""
    return f"untuk {persons} orang" if lang is Lang.ID else f"for {persons} people"


def idle_screen() -> Screen:
    return Screen(ScreenState.IDLE, dict(_IDLE))


def checking_screen() -> Screen:
    return Screen(ScreenState.CHECKING, dict(_CHECKING))


def out_of_order_screen(faults: frozenset[Fault] | set[Fault] = frozenset()) -> Screen:
    """OUT OF ORDER, saying what is broken when that is known, and always what to do: wait."""
    words: dict[Lang, Words] = {}
    for lang in Lang:
        base = explain(Decision.of(Reason.OUT_OF_ORDER), lang)
        detail = " ".join(_FAULT_DETAIL[f][lang] for f in sorted(faults))
        sentence = f"{detail} {_PLEASE_WAIT[lang]}" if detail else base.sentence
        words[lang] = Words(base.title, sentence=sentence)
    return Screen(ScreenState.OUT_OF_ORDER, words)


def decision_screen(
    decision: Decision,
    event_uuid: str = "",
    awaiting_guard: bool = False,
    offices: Mapping[str, str] | None = None,
) -> Screen:
    """The answer to a recorded decision: the domain's own sentence, the party size for an ADMIT.
    `offices`: the office directory (code -> full name), for a booking of another office."""
    state = state_of(decision)
    words: dict[Lang, Words] = {}
    for lang in Lang:
        text = explain(decision, lang, offices)
        line = party_line(decision.persons, lang) if state is ScreenState.ADMIT else ""
        words[lang] = Words(text.title, line, text.sentence)
    return Screen(state, words, awaiting_guard, event_uuid)


_GUARD_ADMIT = {
    Lang.ID: "Petugas mengizinkan Anda masuk.",
    Lang.EN: "The officer has let you in.",
}


def guard_admit_screen(persons: int) -> Screen:
    """ADMIT after a guard's override: the same title, and who decided."""
    words = {}
    for lang in Lang:
        title = explain(Decision(Verdict.ADMIT, Reason.OK, persons), lang).title
        words[lang] = Words(title, party_line(persons, lang), _GUARD_ADMIT[lang])
    return Screen(ScreenState.ADMIT, words)


def data_age_text(age: dt.timedelta | None, lang: Lang) -> str:
    """Small print under the preview: how old the booking data is."""
    if age is None:
        return "Data jadwal: impor lokal" if lang is Lang.ID else "Booking data: local import"
    minutes = max(int(age.total_seconds() // 60), 0)
    if age >= dt.timedelta(days=3650):
        return "Data jadwal: belum pernah diperbarui" if lang is Lang.ID else "Booking data: never updated"
    if minutes < 1:
        return "Data jadwal: baru diperbarui" if lang is Lang.ID else "Booking data: just updated"
    if minutes < 120:
        return f"Data jadwal: {minutes} menit lalu" if lang is Lang.ID else f"Booking data: {minutes} min ago"
    hours = minutes // 60
    return f"Data jadwal: {hours} jam lalu" if lang is Lang.ID else f"Booking data: {hours} h ago"


# --- when it changes ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds each answer stays on screen; CHECKING longer than `checking` counts as a database fault."""

    admit: float = 5.0
    refer: float = 12.0
    deny: float = 10.0
    checking: float = 8.0
    deny_needs_ack: bool = False

    def of(self, state: ScreenState) -> float:
        return {ScreenState.ADMIT: self.admit, ScreenState.REFER: self.refer}.get(state, self.deny)


@dataclass(slots=True)
class ScreenMachine:
    """The applicant screen's one state machine. Times are monotonic seconds passed in by the caller."""

    timeouts: Timeouts = field(default_factory=Timeouts)
    screen: Screen = field(default_factory=idle_screen)
    faults: set[Fault] = field(default_factory=set)
    until: float | None = None  # when the current screen expires; None: it stays
    #: The office directory the kiosk holds (code -> full name): a wrong-office answer names the office.
    offices: Mapping[str, str] = field(default_factory=dict)

    @property
    def state(self) -> ScreenState:
        return self.screen.state

    def accepts_codes(self, camera: bool = True) -> bool:
        """Whether a code seen now should be decided. Not while a DENY waits for the guard, and not
        while the gate (or, for codes from the camera, the camera) is broken; a database fault still
        lets codes through, so that the first write that works again clears it. A hand scanner's
        codes do not need the camera."""
        if self.screen.awaiting_guard:
            return False
        ignored = {Fault.DATABASE} if camera else {Fault.DATABASE, Fault.CAMERA}
        return not (self.faults - ignored)

    def code_seen(self, now: float, by_guard: bool = False, camera: bool = True) -> bool:
        """A new presentation: True when the caller should record it (the screen shows CHECKING).
        A code typed in by a guard is always decided: the guard is standing there."""
        if not (self.accepts_codes(camera) or by_guard):
            return False
        if not self.faults or by_guard or not camera:
            self._show(checking_screen(), now + self.timeouts.checking)
        return True

    def recorded(self, decision: Decision, event_uuid: str, now: float) -> Screen:
        """A decision is on disk: show it (a database fault is over, since the write worked)."""
        self.faults.discard(Fault.DATABASE)
        state = state_of(decision)
        sticky = state is ScreenState.DENY and self.timeouts.deny_needs_ack
        screen = decision_screen(decision, event_uuid, sticky, self.offices)
        self._show(screen, None if sticky else now + self.timeouts.of(state))
        return self.screen

    def guard_admitted(self, persons: int, now: float) -> Screen:
        """A guard let the applicant in (an override, already recorded): say so, like an ADMIT."""
        self._show(guard_admit_screen(persons), now + self.timeouts.admit)
        return self.screen

    def failed(self, now: float) -> Screen:
        """A decision could not be recorded: nothing is shown but OUT OF ORDER, and the gate stays shut."""
        return self.fault(Fault.DATABASE, now, interrupt=True)

    def fault(self, fault: Fault, now: float, interrupt: bool = False) -> Screen:
        self.faults.add(fault)
        if interrupt or self.state in (ScreenState.IDLE, ScreenState.CHECKING, ScreenState.OUT_OF_ORDER):
            self._show(out_of_order_screen(self.faults), None)
        return self.screen

    def fault_cleared(self, fault: Fault, now: float) -> Screen:
        self.faults.discard(fault)
        if self.state is ScreenState.OUT_OF_ORDER:
            self._settle()
        return self.screen

    def acknowledge(self, event_uuid: str | None, now: float) -> Screen:
        """A guard resolved a scan: if it is the answer on screen, the screen goes back to IDLE."""
        if self.state in (ScreenState.DENY, ScreenState.REFER) and event_uuid in (None, self.screen.event_uuid):
            self._settle()
        return self.screen

    def tick(self, now: float) -> Screen:
        if self.until is not None and now >= self.until:
            if self.state is ScreenState.CHECKING:
                return self.fault(Fault.DATABASE, now, interrupt=True)
            self._settle()
        return self.screen

    def _settle(self) -> None:
        """Back to the resting screen: OUT OF ORDER while a fault lasts, IDLE otherwise."""
        self._show(out_of_order_screen(self.faults) if self.faults else idle_screen(), None)

    def _show(self, screen: Screen, until: float | None) -> None:
        self.screen, self.until = dataclasses.replace(screen, until=until), until
