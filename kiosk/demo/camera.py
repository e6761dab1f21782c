"""The simulated camera's scene for `kiosk demo`: the showcase's codes shown one after another on a phone
or on paper, two at once, and the camera unplugged for a moment; every kind of outcome within the
first minute, then again."""

from __future__ import annotations

from collections.abc import Sequence

from kiosk.demo.showcase import Sample
from kiosk.domain.model import Reason
from kiosk.vision.simcam import Fault as CameraFaultScript
from kiosk.vision.simcam import Scene, SimulatedCamera, empty

DEMO_SHOW_S, DEMO_GAP_S = 2.0, 4.5


def demo_script(samples: Sequence[Sample]) -> tuple[list[Scene], list[CameraFaultScript]]:
    """The simulated camera's scene. Within the first minute: ADMIT, ADMIT for a party of 3, DENY
    (too early, a NIK instead of a booking, a code used twice), REFER (priority walk-in, two codes at
    once), and the camera unplugged for 3 s (OUT OF ORDER); then the other reasons. It loops."""
    by_reason = {sample.expect: sample for sample in samples}
    by_title = {sample.title: sample for sample in samples}

    def show(sample: Sample, **look: object) -> list[Scene]:
        return [Scene(duration=DEMO_SHOW_S, codes=(sample.text,), **look), empty(DEMO_GAP_S)]  # type: ignore[arg-type]

    admit = by_title["admit"]
    party = by_title["admit, party of 3"]
    script = [empty(2.0)]
    script += show(admit, medium="phone", sway=0.01)
    script += show(party, medium="phone", dark_mode=True)
    script += show(by_reason[Reason.TOO_EARLY], medium="paper", tilt=10)
    script += show(by_reason[Reason.NEEDS_OFFICER], medium="phone")
    script += show(by_title["a NIK (ID number)"], medium="paper")
    script += show(admit, medium="phone")  # the same code again: ALREADY_ADMITTED
    two = (by_reason[Reason.CANCELLED].text, party.text)
    script += [Scene(duration=DEMO_SHOW_S, codes=two, size=0.3), empty(DEMO_GAP_S)]
    fault_at = sum(scene.duration for scene in script) + 0.5
    script += [empty(8.0)]  # the camera is unplugged for 3 s in here, and found again before the next code
    for reason in (Reason.UNKNOWN_CODE, Reason.CANCELLED, Reason.WRONG_OFFICE, Reason.TOO_LATE, Reason.WRONG_DAY):
        script += show(by_reason[reason])
    for title in ("rescheduled", "unpaid", "a web address"):
        if title in by_title:
            script += show(by_title[title], medium="paper")
    return script, [CameraFaultScript("disconnect", fault_at, fault_at + 3.0)]


def demo_camera(samples: Sequence[Sample], *, realtime: bool = True) -> SimulatedCamera:
    script, faults = demo_script(samples)
    return SimulatedCamera(script, 1280, 720, fps=30.0, realtime=realtime, faults=faults, loop=True)
