"""The one door: every code the kiosk sees, from every input, takes the same verified path.

    reader (camera, keyboard wedge, guard's manual entry, `kiosk check`, the demos)
      -> Intake.accept(raw codes, source, time)     one debouncer: repeat reads are one presentation
      -> Door.present(Sighting)                     on the database writer thread, never the GUI's:
           parse the payload; verify a signed code against the synced keys (learn a genuine one);
           ask the server across gates within the budget when enrolled, else decide here;
           record event + outbox row + audit entry in one transaction
      -> Recorded (on disk): only then the screen, the tone and the gate

Nothing outside this package builds a Presentation for the kiosk (a test looks).
"""

from kiosk.door.door import Door, DoorSettings, decided_text
from kiosk.door.sighting import Intake, Sighting, Source
from kiosk.door.stats import OnlineStats, OnlineSummary

__all__ = ["Door", "DoorSettings", "Intake", "OnlineStats", "OnlineSummary", "Sighting", "Source", "decided_text"]
