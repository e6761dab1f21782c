"""How far the door trusts the server's decision: a chain of small checks, each naming what is wrong.

The server decides with every gate's entries, so its answer usually wins. But an ADMIT opens the gate,
so a server ADMIT must also fit what this kiosk knows for sure (fail closed): the booking is this
office's, active, for no more people than it holds, the one the kiosk holds for this code, and the
kiosk's own data shows no fact that never comes back (another office, cancelled, rescheduled, already
used here). Anything else the server says (a DENY, a REFER) only keeps people out, and stands. The
server's facts are bounded and cannot set the door's own (which path decided, who typed the code).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from kiosk.domain.model import Decision, Reason, Status, Verdict

#: Why the door took its own decision over the server's answer (the phrase before any detail).
UNUSABLE = "unusable answer"
SEEN_HERE = "an entry here the server has not seen yet"
LOCAL_FACT = "local data says otherwise"

#: A local DENY for one of these is a fact about the code that a server ADMIT does not undo.
FINAL_HERE = frozenset({Reason.WRONG_OFFICE, Reason.CANCELLED, Reason.RESCHEDULED, Reason.FORGED})
#: Keys the door writes itself: the server cannot set them.
DOOR_KEYS = frozenset({"decided_by", "fallback", "entered_by", "source"})
MAX_FACTS, MAX_FACT_CHARS = 16, 120
_FACT_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")

Check = Callable[[Decision, Decision, str], str]


def _used_here(server: Decision, local: Decision, office: str) -> str:
    return SEEN_HERE if local.reason is Reason.ALREADY_ADMITTED else ""


def _final_here(server: Decision, local: Decision, office: str) -> str:
    return f"{LOCAL_FACT}: {local.reason.value}" if local.reason in FINAL_HERE else ""


def _has_booking(server: Decision, local: Decision, office: str) -> str:
    return "" if server.booking is not None else f"{UNUSABLE}: admit without a booking"


def _this_office(server: Decision, local: Decision, office: str) -> str:
    booking = server.booking
    return "" if booking is None or booking.office_code == office else f"{UNUSABLE}: another office's booking"


def _active(server: Decision, local: Decision, office: str) -> str:
    booking = server.booking
    return "" if booking is None or booking.status is Status.ACTIVE else f"{UNUSABLE}: booking not active"


def _party(server: Decision, local: Decision, office: str) -> str:
    booking = server.booking
    if booking is None or 1 <= server.persons <= booking.party_size:
        return ""
    return f"{UNUSABLE}: {server.persons} people for a party of {booking.party_size}"


def _same_booking(server: Decision, local: Decision, office: str) -> str:
    if local.booking is None or server.booking is None:
        return ""  # the kiosk does not hold this code (yet): the server knows it
    same = local.booking.booking_ref == server.booking.booking_ref
    return "" if same else f"{UNUSABLE}: another booking than this code's"


ADMIT_CHECKS: tuple[Check, ...] = (_used_here, _final_here, _has_booking, _this_office, _active, _party, _same_booking)


def distrust(server: Decision, local: Decision, office: str) -> str:
    """Why the server's decision is not to be taken here, or "" when it stands."""
    if server.verdict is not Verdict.ADMIT:
        return ""
    for check in ADMIT_CHECKS:
        problem = check(server, local, office)
        if problem:
            return problem
    return ""


def bounded_facts(facts: dict[str, str]) -> dict[str, str]:
    """The server's facts as the kiosk keeps them: a few short ones, none of the door's own keys."""
    kept: dict[str, str] = {}
    for key, value in facts.items():
        if len(kept) >= MAX_FACTS:
            break
        if key in DOOR_KEYS or not _FACT_KEY.fullmatch(key):
            continue
        kept[key] = "".join(ch for ch in str(value) if ch.isprintable())[:MAX_FACT_CHARS]
    return kept
