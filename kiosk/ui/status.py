"""The guard console's status panel: camera, gate, data freshness and sync, uploads, audit chain, disk.

The panel only shows what it is given (the controller feeds camera and gate state; the store's figures
come from a read job every few seconds). "Sync now" and "Verify now" are requests; the panel never does
the work itself.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from PySide6.QtCore import QEvent, Signal
from PySide6.QtWidgets import QFormLayout, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

import kiosk
from kiosk.door.stats import OnlineSummary
from kiosk.store.settings import Identity
from kiosk.store.status import StoreStatus
from kiosk.ui import labels
from kiosk.ui.labels import QT_TRANSLATE_NOOP, translate
from kiosk.ui.widgets import button, frame, label

CTX = "StatusPage"
LOW_DISK_BYTES = 1_000_000_000

ROWS: dict[str, list[tuple[str, str]]] = {
    "camera": [
        ("camera_state", QT_TRANSLATE_NOOP("StatusPage", "State")),
        ("camera_fps", QT_TRANSLATE_NOOP("StatusPage", "Frame rate")),
        ("camera_decoder", QT_TRANSLATE_NOOP("StatusPage", "Decoder")),
        ("camera_source", QT_TRANSLATE_NOOP("StatusPage", "Source")),
    ],
    "gate": [
        ("gate_state", QT_TRANSLATE_NOOP("StatusPage", "State")),
        ("gate_relay", QT_TRANSLATE_NOOP("StatusPage", "Relay")),
        ("kiosk_faults", QT_TRANSLATE_NOOP("StatusPage", "Applicant screen")),
    ],
    "data": [
        ("data_age", QT_TRANSLATE_NOOP("StatusPage", "Data age")),
        ("last_sync", QT_TRANSLATE_NOOP("StatusPage", "Last sync")),
        ("sync_error", QT_TRANSLATE_NOOP("StatusPage", "Sync problem")),
        ("bookings", QT_TRANSLATE_NOOP("StatusPage", "Bookings held")),
        ("pending", QT_TRANSLATE_NOOP("StatusPage", "Pending uploads")),
        ("refused", QT_TRANSLATE_NOOP("StatusPage", "Refused uploads")),
        ("online", QT_TRANSLATE_NOOP("StatusPage", "Online check")),
    ],
    "audit": [
        ("audit_state", QT_TRANSLATE_NOOP("StatusPage", "Audit chain")),
        ("audit_head", QT_TRANSLATE_NOOP("StatusPage", "Entries")),
        ("audit_checked", QT_TRANSLATE_NOOP("StatusPage", "Last checked")),
        ("audit_anchor", QT_TRANSLATE_NOOP("StatusPage", "Anchored at server")),
        ("audit_server", QT_TRANSLATE_NOOP("StatusPage", "Server's finding")),
        ("disk", QT_TRANSLATE_NOOP("StatusPage", "Free disk")),
    ],
    "kiosk": [
        ("office", QT_TRANSLATE_NOOP("StatusPage", "Office")),
        ("kiosk_id", QT_TRANSLATE_NOOP("StatusPage", "Kiosk")),
        ("kiosk_gate", QT_TRANSLATE_NOOP("StatusPage", "Gate")),
        ("version", QT_TRANSLATE_NOOP("StatusPage", "Version")),
    ],
}
#: The kinds of incident the server names (kiosk/server/anchor.py), in the guard's words.
FINDINGS = {
    "rollback": QT_TRANSLATE_NOOP("StatusPage", "an older copy was put back"),
    "rewrite": QT_TRANSLATE_NOOP("StatusPage", "entries were rewritten"),
    "fork": QT_TRANSLATE_NOOP("StatusPage", "entries were deleted or inserted"),
    "broken": QT_TRANSLATE_NOOP("StatusPage", "entries were edited"),
}
TITLES = {
    "camera": QT_TRANSLATE_NOOP("StatusPage", "Camera"),
    "gate": QT_TRANSLATE_NOOP("StatusPage", "Gate and screen"),
    "data": QT_TRANSLATE_NOOP("StatusPage", "Booking data and sync"),
    "audit": QT_TRANSLATE_NOOP("StatusPage", "Audit chain and disk"),
    "kiosk": QT_TRANSLATE_NOOP("StatusPage", "This kiosk"),
}


#: The camera's faults (kiosk.vision.watchdog.FaultKind values) as the guard reads them on the banner;
#: the technical detail (the camera's own message) stays on the Status tab.
CAMERA_FAULTS = {
    "camera_gone": QT_TRANSLATE_NOOP("StatusPage", "Camera not connected"),
    "camera_unavailable": QT_TRANSLATE_NOOP("StatusPage", "Camera cannot be opened (in use or not allowed)"),
    "read_errors": QT_TRANSLATE_NOOP("StatusPage", "Camera cannot be read"),
    "no_frames": QT_TRANSLATE_NOOP("StatusPage", "Camera sends no picture"),
    "black": QT_TRANSLATE_NOOP("StatusPage", "Camera picture is black (lens covered or too dark)"),
    "overexposed": QT_TRANSLATE_NOOP("StatusPage", "Camera picture is too bright (facing a light)"),
    "frozen": QT_TRANSLATE_NOOP("StatusPage", "Camera picture is frozen"),
    "decoder_failing": QT_TRANSLATE_NOOP("StatusPage", "The code reader is not working"),
}
CAMERA_FAULT = QT_TRANSLATE_NOOP("StatusPage", "Camera not working")
CAMERA_HINT = QT_TRANSLATE_NOOP("StatusPage", "codes are read only by the hand scanner or typed in")
GATE_FAULT = QT_TRANSLATE_NOOP("StatusPage", "Gate relay fault: the gate cannot open")
DATABASE_FAULT = QT_TRANSLATE_NOOP("StatusPage", "Database problem: scans cannot be recorded")
DATA_STALE = QT_TRANSLATE_NOOP(
    "StatusPage", "Booking data not updated for %n minute(s): unknown codes go to the officer"
)
DATA_NEVER = QT_TRANSLATE_NOOP("StatusPage", "Booking data never synced: unknown codes go to the officer")
DATA_ROLLED_BACK = QT_TRANSLATE_NOOP(
    "StatusPage", "Booking file older than this kiosk last saw: every code goes to the officer"
)


@dataclass(frozen=True, slots=True)
class DataState:
    """How fresh the booking data is, as the decisions see it (Circumstances and the office's rules)."""

    age: dt.timedelta | None = None  # None: bookings imported here, no sync
    limit_minutes: int = 15
    trusted: bool = True  # False: the booking file is older than this database saw (rolled back)

    @property
    def stale(self) -> bool:
        return self.age is not None and (self.age > dt.timedelta(minutes=self.limit_minutes) or self.age.days < 0)


def camera_fault_text(kind: str) -> str:
    """The camera fault in the guard's words (the console's language)."""
    return translate(CTX, CAMERA_FAULTS.get(kind, CAMERA_FAULT))


def camera_hint() -> str:
    """What still works while the camera does not (for the banner's second line)."""
    return translate(CTX, CAMERA_HINT)


def fault_sentences(faults: frozenset[str], camera_kind: str, gate_fault: bool, data: DataState) -> list[str]:
    """One short sentence per fault, for the console's banner, translated (camera, gate, database, data)."""
    sentences = []
    if "camera" in faults:
        sentences.append(camera_fault_text(camera_kind))
    if "gate" in faults or gate_fault:
        sentences.append(translate(CTX, GATE_FAULT))
    if "database" in faults:
        sentences.append(translate(CTX, DATABASE_FAULT))
    if not data.trusted:
        sentences.append(translate(CTX, DATA_ROLLED_BACK))
    elif data.stale and data.age is not None:
        if data.age >= dt.timedelta(days=3650):
            sentences.append(translate(CTX, DATA_NEVER))
        else:
            sentences.append(translate(CTX, DATA_STALE, max(int(data.age.total_seconds() // 60), 0)))
    return sentences


@dataclass(slots=True)
class CameraStatus:
    ok: bool = False
    message: str = ""
    fps: float = 0.0
    decoder: str = ""
    source: str = ""
    decoder_process: bool = False  # the decoder runs in its own process (kiosk.vision.isolated)
    kind: str = ""  # the fault's kind (kiosk.vision.watchdog.FaultKind value) while not ok


class StatusPage(QWidget):
    syncRequested = Signal()
    verifyRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.zone: ZoneInfo | None = None
        self.camera = CameraStatus()
        self.gate_state = ""
        self.gate_relay = ""
        self.gate_message = ""
        self.faults: frozenset[str] = frozenset()
        #: What the last check of the database files found wrong (KioskStore.check_files()); "" when sound.
        self.database_problem = ""
        self.store: StoreStatus | None = None
        self.audit_checked: dt.datetime | None = None
        self.audit_ok: bool | None = None
        self.audit_problem = ""
        self.identity = Identity()
        self.sync_available = False
        self.online = OnlineSummary(False, 0, 0, None)
        self.values: dict[str, QLabel] = {}
        self.names: dict[str, QLabel] = {}
        self.titles: dict[str, QLabel] = {}

        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(16)
        self.sync_button = button("", "")
        self.sync_button.clicked.connect(self.syncRequested)
        self.verify_button = button("", "")
        self.verify_button.clicked.connect(self.verifyRequested)
        extra = {"data": self.sync_button, "audit": self.verify_button}
        for n, card_name in enumerate(("camera", "data", "audit", "gate", "kiosk")):
            grid.addWidget(self._card(card_name, extra.get(card_name)), n // 3, n % 3)
        for column in range(3):
            grid.setColumnStretch(column, 1)
        layout = QVBoxLayout(self)
        self.title = label("pageTitle")
        layout.addWidget(self.title)
        layout.addLayout(grid)
        layout.addStretch(1)
        self.retranslate()

    def _card(self, name: str, action: QWidget | None) -> QWidget:
        card = frame("card")
        box = QVBoxLayout(card)
        self.titles[name] = label("sectionTitle")
        box.addWidget(self.titles[name])
        form = QFormLayout()
        for key, _source in ROWS[name]:
            self.names[key] = label()
            self.values[key] = label(wrap=True)
            form.addRow(self.names[key], self.values[key])
        box.addLayout(form)
        if action is not None:
            row = QHBoxLayout()
            row.addStretch(1)
            row.addWidget(action)
            box.addLayout(row)
        box.addStretch(1)
        return card

    # --- input --------------------------------------------------------------------------------------

    def set_camera(self, status: CameraStatus) -> None:
        self.camera = status
        self._render()

    def set_gate(self, state: str, relay: str, message: str = "") -> None:
        self.gate_state, self.gate_relay, self.gate_message = state, relay, message
        self._render()

    def set_faults(self, faults: frozenset[str]) -> None:
        self.faults = faults
        self._render()

    def set_database_problem(self, problem: str) -> None:
        """The check of the database files failed: the kiosk is out of order until it is restored."""
        self.database_problem = problem
        self._render()

    def set_store(self, status: StoreStatus, now: dt.datetime) -> None:
        self.store = status
        if status.audit_ok is not None:
            self.audit_ok, self.audit_problem, self.audit_checked = status.audit_ok, status.audit_problem, now
        self._render()

    def set_identity(self, identity: Identity) -> None:
        self.identity = identity
        self._render()

    def set_online(self, summary: OnlineSummary) -> None:
        self.online = summary
        self._render()

    def set_sync_available(self, available: bool) -> None:
        self.sync_available = available
        self._render()

    # --- text ---------------------------------------------------------------------------------------

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.title.setText(self.tr("Status"))
        for name, source in TITLES.items():
            self.titles[name].setText(translate(CTX, source))
        for rows in ROWS.values():
            for key, source in rows:
                self.names[key].setText(translate(CTX, source) + ":")
        self.sync_button.setText(self.tr("Sync now"))
        self.verify_button.setText(self.tr("Verify now"))
        self._render()

    def _set(self, key: str, text: str, style: str = "", detail: str = "") -> None:
        """Show `text`; `detail` (the technical message, in English, for IT) is the value's tool tip."""
        widget = self.values[key]
        widget.setText(text)
        if widget.toolTip() != detail:
            widget.setToolTip(detail)
        if widget.objectName() != style:
            widget.setObjectName(style)
            widget.style().unpolish(widget)
            widget.style().polish(widget)

    def _render(self) -> None:
        camera = self.camera
        if camera.ok:
            self._set("camera_state", self.tr("working"), "ok")
        else:
            # The guard's sentence; the camera's own (technical, English) message is the tool tip, for IT.
            self._set("camera_state", camera_fault_text(camera.kind), "error", camera.message)
        self._set("camera_fps", f"{camera.fps:.1f} fps" if camera.fps else "—")
        decoder = camera.decoder or "—"
        if camera.decoder and camera.decoder_process:
            decoder = self.tr("%1, in its own process").replace("%1", camera.decoder)
        self._set("camera_decoder", decoder)
        self._set("camera_source", labels.camera(camera.source) if camera.source else "—")
        gate_text = {"open": self.tr("open"), "closed": self.tr("closed"), "fault": self.tr("fault")}
        gate = gate_text.get(self.gate_state, self.gate_state or "—")
        if self.gate_state == "fault":
            gate = translate(CTX, GATE_FAULT)
        self._set("gate_state", gate, "error" if self.gate_state == "fault" else "", self.gate_message)
        self._set("gate_relay", labels.relay(self.gate_relay) if self.gate_relay else "—")
        if self.faults:
            names = ", ".join(labels.fault(f) for f in sorted(self.faults))
            text = self.tr("OUT OF ORDER (%1)").replace("%1", names)
            if self.database_problem and "database" in self.faults:
                text += f": {labels.store_error(self.database_problem)}"
            self._set("kiosk_faults", text, "error")
        else:
            self._set("kiosk_faults", self.tr("in service"), "ok")
        self._render_store()
        self._set("online", *self._online())
        self._set("office", self.identity.office_code)
        self._set("kiosk_id", self.identity.kiosk_id)
        self._set("kiosk_gate", self.identity.gate)
        self._set("version", kiosk.__version__)
        self.sync_button.setEnabled(self.sync_available)
        self.sync_button.setToolTip("" if self.sync_available else self.tr("No sync server is configured."))

    def _render_store(self) -> None:
        status = self.store
        if status is None:
            for key in (
                "data_age",
                "last_sync",
                "sync_error",
                "bookings",
                "pending",
                "refused",
                "audit_head",
                "disk",
                "audit_anchor",
                "audit_server",
            ):
                self._set(key, "…")
        else:
            self._set("data_age", *self._age(status.data_age))
            self._set("last_sync", self._when(status.last_sync) if status.last_sync else self.tr("never"))
            self._set("sync_error", status.last_sync_error or "—", "warn" if status.last_sync_error else "")
            if status.bookings_lost:
                lost = self.tr("booking file lost: import the bookings again")
                self._set("bookings", f"{status.bookings} — {lost}", "error")
            elif status.bookings_rolled_back:
                older = self.tr(
                    "booking file OLDER than this database last saw (%1): rolled back or replaced; "
                    "every code goes to the officer until the next sync or import"
                ).replace("%1", status.bookings_rolled_back)
                self._set("bookings", f"{status.bookings} — {older}", "error")
            else:
                self._set("bookings", str(status.bookings))
            self._set("pending", str(status.pending_uploads), "warn" if status.pending_uploads > 500 else "")
            refused = status.refused_uploads
            hint = self.tr("%n kept for IT: kiosk sync status", "", refused) if refused else "0"
            self._set("refused", hint, "warn" if refused else "")
            self._set("audit_head", str(status.audit_head_seq))
            self._set("audit_anchor", *self._anchored(status))
            self._set("audit_server", *self._server_finding(status))
            self._set("disk", *self._disk(status.free_disk_bytes))
        if self.audit_ok is None:
            self._set("audit_state", self.tr("not checked yet"))
        elif self.audit_ok:
            self._set("audit_state", self.tr("OK"), "ok")
        else:
            self._set("audit_state", self.tr("BROKEN: %1").replace("%1", self.audit_problem), "error")
        self._set("audit_checked", self._when(self.audit_checked) if self.audit_checked else "—")

    def _online(self) -> tuple[str, str]:
        """On or off; of the recent scans that asked, how many the server answered in time, median time."""
        online = self.online
        if not online.enabled:
            return self.tr("off: every scan is decided here"), ""
        if not online.asked:
            if online.last_fallback:
                return self.tr("on: %1").replace("%1", labels.decided("local", online.last_fallback)), "warn"
            return self.tr("on: no scan yet"), ""
        text = self.tr("on: %1 of %2 answered, median %3 ms")
        text = text.replace("%1", str(online.answered)).replace("%2", str(online.asked))
        text = text.replace("%3", f"{online.median_ms:.0f}" if online.median_ms is not None else "—")
        if online.last_fallback and online.answered < online.asked:
            text += " · " + self.tr("last fallback: %1").replace("%1", labels.decided("local", online.last_fallback))
        share = online.share or 0.0
        return text, "" if share >= 0.9 else "warn"

    def _age(self, age: dt.timedelta | None) -> tuple[str, str]:
        if age is None:
            return self.tr("imported locally (no sync)"), ""
        if age >= dt.timedelta(days=3650):
            return self.tr("never synced"), "error"
        minutes = max(int(age.total_seconds() // 60), 0)
        text = self.tr("%n min", "", minutes) if minutes < 120 else self.tr("%n h", "", minutes // 60)
        return text, "warn" if minutes > 15 else ""

    def _anchored(self, status: StoreStatus) -> tuple[str, str]:
        """How far the server holds the chain: what root on this kiosk can no longer change quietly."""
        if status.anchored is None:
            if self.sync_available:
                return self.tr("not yet: no receipt from the server"), "warn"
            return self.tr("no server: sign the head in the daily report"), ""
        seq, server_time = status.anchored
        try:
            when = self._when(dt.datetime.fromisoformat(server_time))
        except ValueError:
            when = server_time[:16]
        waiting = max(status.audit_head_seq - seq, 0)
        text = self.tr("up to entry %1 (%2); %3 not yet").replace("%1", str(seq)).replace("%2", when)
        return text.replace("%3", str(waiting)), ""

    def _server_finding(self, status: StoreStatus) -> tuple[str, str]:
        """Short, for the guard: what kind of change, and whom to tell (the details are for IT:
        `kiosk server incidents`, `kiosk audit verify`)."""
        if status.server_alert is None:
            return "—", ""
        at, detail = status.server_alert
        kind = detail.split(":", 1)[0].strip()
        what = self.tr(FINDINGS[kind]) if kind in FINDINGS else detail[:80]
        text = self.tr("%1: the server found this kiosk's audit chain altered (%2); tell the head of office")
        return text.replace("%1", self._when(at)).replace("%2", what), "error"

    def _when(self, at: dt.datetime) -> str:
        local = at.astimezone(self.zone) if self.zone else at
        return f"{local:%d-%m-%Y %H.%M}"

    def _disk(self, free: int) -> tuple[str, str]:
        if free < 0:
            return self.tr("unknown"), "warn"
        return f"{free / 1e9:.1f} GB", "error" if free < LOW_DISK_BYTES else ""
