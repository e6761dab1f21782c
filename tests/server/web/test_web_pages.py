"""Each page of the dashboard renders with data; the exports; the admin audit log; the upload preview;
enrolling a kiosk from the page gives a token the kiosk enrol API accepts."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from fpdf import FPDF  # noqa: F401 - the PDF library is installed with the server extra
from sqlalchemy import Engine, select

from kiosk.server.db import reading
from kiosk.server.models import AdminAuditRow, BookingRow, KioskRow
from tests.server.support import booking
from tests.server.web.support import OFFICE_A, OFFICE_B, Seeded, WebClient, csrf_of, logged_in, page_csrf

WIB = dt.timezone(dt.timedelta(hours=7))


def _today() -> str:
    return dt.datetime.now(WIB).date().isoformat()


def _actions(engine: Engine, action: str) -> list[Any]:
    with reading(engine) as connection:
        return list(connection.execute(select(AdminAuditRow).where(AdminAuditRow.action == action)).all())


def test_offices_page_counts_kiosks_that_need_a_look(client: WebClient) -> None:
    logged_in(client, "auditor")
    page = client.get("/web/offices").text
    assert f'id="office-attention-{OFFICE_A}"><span' in page  # the silent, unhealthy kiosk of office A
    assert 'id="all-audit"' in page


def test_kiosks_page_shows_health_anchoring_and_marks(client: WebClient, seeded: Seeded) -> None:
    logged_in(client, "viewer_a")
    page = client.get(f"/web/o/{OFFICE_A}/kiosks").text
    assert f'id="kiosk-{seeded.kiosk_a1}"' in page and f'id="kiosk-{seeded.kiosk_a2}"' in page
    assert seeded.kiosk_b1 not in page
    row_a2 = page.split(f'id="kiosk-{seeded.kiosk_a2}"', 1)[1].split("</tr>", 1)[0]
    assert "SILENT" in row_a2 and "UNHEALTHY" in row_a2 and "camera: not connected" in row_a2
    row_a1 = page.split(f'id="kiosk-{seeded.kiosk_a1}"', 1)[1].split("</tr>", 1)[0]
    assert "SILENT" not in row_a1 and "+2 s" in row_a1 and "12:abababab" in row_a1
    assert 'id="kiosks-attention"' in page


def test_today_page_counts_flow_reasons_open_refers_and_brokers(client: WebClient, seeded: Seeded) -> None:
    logged_in(client, "viewer_a")
    page = client.get(f"/web/o/{OFFICE_A}/today").text
    assert f'id="today-date">{_today()}' in page
    assert 'id="total-admit">1<' in page and 'id="total-refer">2<' in page and 'id="total-deny">2<' in page
    assert f'id="refer-{seeded.refer_uuid}"' in page  # open: no guard resolved it
    assert 'id="broker-alerts"' in page and "Peringatan calo: banyak kode tidak sah" in page
    assert "Terlalu awal" in page and "Jadwal untuk hari lain" in page
    assert "catatan kantor B" not in page


def test_overrides_page_filters_and_counts_against_the_norm(client: WebClient, seeded: Seeded) -> None:
    logged_in(client, "viewer_a")
    page = client.get(f"/web/o/{OFFICE_A}/overrides").text
    assert f'id="action-{seeded.override_uuid}"' in page
    assert "KTP dicocokkan" in page and "G1 #3" in page
    assert 'id="override-norm">10<' in page
    assert "catatan kantor B rahasia" not in page
    for query in ("gate=G2", "reason=OTHER", "guard=G1+%239", "kind=note", "from=2020-01-01&to=2020-01-02"):
        narrowed = client.get(f"/web/o/{OFFICE_A}/overrides?{query}").text
        assert f'id="action-{seeded.override_uuid}"' not in narrowed, query
    kept = client.get(f"/web/o/{OFFICE_A}/overrides?guard=G1+%233&reason=ID_CHECKED&gate=G1&kind=override").text
    assert f'id="action-{seeded.override_uuid}"' in kept
    assert client.get(f"/web/o/{OFFICE_A}/overrides?from=bad").status_code == 400


def test_report_page_and_exports(client: WebClient, seeded: Seeded) -> None:
    logged_in(client, "viewer_a")
    day = _today()
    page = client.get(f"/web/o/{OFFICE_A}/report?day={day}").text
    assert f'id="report-day">{day}' in page and f'id="head-{seeded.kiosk_a1}"' in page
    assert "abab abab" in page  # the head, grouped for reading aloud and signing
    csv = client.get(f"/web/o/{OFFICE_A}/report.csv?day={day}&sep=semicolon")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.content.startswith("\ufeff".encode())
    text = csv.content.decode("utf-8-sig")
    assert text.splitlines()[0] == "bagian;butir;rincian;nilai"
    assert "KTP dicocokkan" in text and f"G1 {seeded.kiosk_a1}" in text
    assert "catatan kantor B" not in text
    english = client.get(f"/web/o/{OFFICE_A}/report.csv?day={day}&lang=en").content.decode("utf-8-sig")
    assert english.splitlines()[0] == "section,item,detail,value"
    pdf = client.get(f"/web/o/{OFFICE_A}/report.pdf?day={day}")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-") and len(pdf.content) > 1500
    assert "attachment" in pdf.headers["content-disposition"]
    empty = client.get(f"/web/o/{OFFICE_A}/report?day=2020-01-01")
    assert empty.status_code == 200
    assert client.get(f"/web/o/{OFFICE_A}/report.csv?sep=tab").status_code == 400


def test_the_auditor_exports_any_office(client: WebClient) -> None:
    logged_in(client, "auditor")
    answer = client.get(f"/web/o/{OFFICE_B}/report.csv?day={_today()}")
    assert answer.status_code == 200 and "catatan kantor B rahasia" in answer.content.decode("utf-8-sig")


def test_booking_search_masks_personal_data(client: WebClient, web_app: object) -> None:
    from tests.server.support import Admin  # the admin helper loads bookings straight into the database

    engine = client.app.state.web.context.engine
    admin = Admin.__new__(Admin)
    admin.engine = engine
    admin.load([booking("MP7K2Q9T3M", "WEB-REF-1", OFFICE_A, display_name="Budi Santoso", nik_last4="4321")])
    logged_in(client, "viewer_a")
    page = client.get(f"/web/o/{OFFICE_A}/bookings?ref=WEB-REF").text
    assert 'id="booking-WEB-REF-1"' in page
    assert "Budi" not in page and "Santoso" not in page and "4321" not in page and "MP7K2Q9T3M" not in page
    assert "B*** S******" in page and "**21" in page
    assert "cancel-form" not in page  # a viewer does not cancel
    logged_in(client, "admin_b")
    assert "WEB-REF-1" not in client.get(f"/web/o/{OFFICE_B}/bookings?ref=WEB-REF").text.split("<main", 1)[1].split(
        "Unggah", 1
    )[0].replace('value="WEB-REF"', "")


def test_cancel_a_booking(client: WebClient, engine: Engine) -> None:
    from tests.server.support import Admin

    admin = Admin.__new__(Admin)
    admin.engine = engine
    admin.load([booking("MP4TWX7KQ3", "WEB-CANCEL-1", OFFICE_A)])
    logged_in(client, "admin_a")
    token = page_csrf(client, f"/web/o/{OFFICE_A}/bookings?ref=WEB-CANCEL-1")
    answer = client.post(
        f"/web/o/{OFFICE_A}/bookings/cancel", data={"csrf_token": token, "booking_ref": "WEB-CANCEL-1"}
    )
    assert answer.status_code == 200 and 'id="cancel-done"' in answer.text
    with reading(engine) as connection:
        status = connection.execute(select(BookingRow.status).where(BookingRow.booking_ref == "WEB-CANCEL-1")).scalar()
    assert status == "cancelled"
    assert any(row.target == "WEB-CANCEL-1" for row in _actions(engine, "bookings.cancelled"))


def _export(rows: list[str]) -> bytes:
    header = ",".join(
        [
            *("code", "booking_ref", "office_code", "service_date", "slot_start", "slot_end", "status"),
            *("party_size", "category", "display_name", "nik_last4"),
        ]
    )
    return ("\ufeff" + "\n".join([header, *rows]) + "\n").encode("utf-8")


def test_upload_with_bad_rows_previews_and_applies_nothing_until_confirmed(client: WebClient, engine: Engine) -> None:
    day = _today()
    body = _export(
        [
            f"MPQ8ZK4N2T,WEB-UP-1,{OFFICE_A},{day},08:00,12:00,active,1,regular,Siti Aminah,1111",
            f"MPR3WX9KD2,WEB-UP-2,{OFFICE_A},{day},08:00,12:00,active,2,regular,Agus Salim,2222",
            f"MPW4KX9QT2,WEB-UP-3,{OFFICE_A},{day},08:00,12:00,no-such-status,1,regular,Bad Status,3333",
            f"MPT7KQ2M9X,WEB-UP-4,{OFFICE_A},not-a-date,08:00,12:00,active,1,regular,Bad Date,4444",
            f"MPV2NX8KQ4,WEB-UP-5,{OFFICE_B},{day},08:00,12:00,active,1,regular,Other Office,5555",
        ]
    )
    logged_in(client, "admin_a")
    token = page_csrf(client, f"/web/o/{OFFICE_A}/bookings")
    preview = client.post(
        f"/web/o/{OFFICE_A}/bookings/upload",
        data={"csrf_token": token},
        files={"export": ("export.csv", io.BytesIO(body), "text/csv")},
    )
    assert preview.status_code == 200, preview.text
    assert 'id="preview-good">2<' in preview.text and 'id="preview-bad">3<' in preview.text
    assert 'id="bad-rows-table"' in preview.text and "line" not in preview.text.split('id="bad-rows-table"')[0][-10:]
    assert ">4<" in preview.text and ">5<" in preview.text  # the bad lines by number
    with reading(engine) as connection:
        held = connection.execute(select(BookingRow.booking_ref).where(BookingRow.booking_ref.like("WEB-UP-%"))).all()
    assert held == []  # nothing applied before the confirmation
    upload_id = preview.text.split('name="upload_id" value="', 1)[1].split('"', 1)[0]
    done = client.post(
        f"/web/o/{OFFICE_A}/bookings/apply", data={"csrf_token": csrf_of(preview.text), "upload_id": upload_id}
    )
    assert done.status_code == 200 and 'id="import-summary"' in done.text
    with reading(engine) as connection:
        held = sorted(
            connection.execute(select(BookingRow.booking_ref).where(BookingRow.booking_ref.like("WEB-UP-%"))).scalars()
        )
    assert held == ["WEB-UP-1", "WEB-UP-2"]
    again = client.post(
        f"/web/o/{OFFICE_A}/bookings/apply", data={"csrf_token": csrf_of(preview.text), "upload_id": upload_id}
    )
    assert again.status_code == 404  # applied once
    assert _actions(engine, "bookings.upload") and _actions(engine, "bookings.import")


def test_another_user_cannot_apply_an_upload(client: WebClient, engine: Engine) -> None:
    logged_in(client, "admin_a")
    token = page_csrf(client, f"/web/o/{OFFICE_A}/bookings")
    preview = client.post(
        f"/web/o/{OFFICE_A}/bookings/upload",
        data={"csrf_token": token},
        files={"export": ("e.csv", io.BytesIO(_export([])), "text/csv")},
    )
    upload_id = preview.text.split('name="upload_id" value="', 1)[1].split('"', 1)[0]
    other = WebClient(client.app)
    logged_in(other, "admin_b")
    token_b = page_csrf(other, f"/web/o/{OFFICE_B}/bookings")
    assert (
        other.post(
            f"/web/o/{OFFICE_B}/bookings/apply", data={"csrf_token": token_b, "upload_id": upload_id}
        ).status_code
        == 404
    )


def test_enrolling_from_the_page_gives_a_token_the_enrol_api_accepts(client: WebClient, engine: Engine) -> None:
    logged_in(client, "admin_a")
    token = page_csrf(client, f"/web/o/{OFFICE_A}/admin")
    page = client.post(
        f"/web/o/{OFFICE_A}/admin/enrol", data={"csrf_token": token, "gate": "G5", "label": "pintu timur"}
    )
    assert page.status_code == 200, page.text
    enrol_token = page.text.split('id="enrol-token">', 1)[1].split("<", 1)[0].strip()
    kiosk_id = page.text.split('id="enrolled-kiosk-id">', 1)[1].split("<", 1)[0]
    assert 'id="enrol-qr"><svg' in page.text and "--token " + enrol_token in page.text
    answer = client.post("/v1/enrol", json={"token": enrol_token, "gate": "G5", "label": ""})
    assert answer.status_code == 200, answer.text
    assert answer.json()["kiosk_id"] == kiosk_id and answer.json()["office"]["office_code"] == OFFICE_A
    assert client.post("/v1/enrol", json={"token": enrol_token, "gate": "G5", "label": ""}).status_code == 401
    entries = [row for row in _actions(engine, "kiosk.enrol") if row.target == kiosk_id]
    assert len(entries) == 1 and entries[0].actor == "admin_a" and enrol_token not in entries[0].detail


def test_revoke_and_rules_are_done_and_audited_and_keys_are_not_rotated_here(client: WebClient, engine: Engine) -> None:
    logged_in(client, "admin_a")
    token = page_csrf(client, f"/web/o/{OFFICE_A}/admin")
    made = client.post(f"/web/o/{OFFICE_A}/admin/enrol", data={"csrf_token": token, "gate": "G6"})
    kiosk_id = made.text.split('id="enrolled-kiosk-id">', 1)[1].split("<", 1)[0]
    revoked = client.post(f"/web/o/{OFFICE_A}/admin/revoke", data={"csrf_token": token, "kiosk_id": kiosk_id})
    assert revoked.status_code == 200
    with reading(engine) as connection:
        assert connection.execute(select(KioskRow.state).where(KioskRow.kiosk_id == kiosk_id)).scalar() == "revoked"
    # one key signs every office's data: rotated on the server's command line only, never by an office
    rotated = client.post(f"/web/o/{OFFICE_A}/admin/keys/rotate", data={"csrf_token": token})
    assert rotated.status_code in (404, 405)
    assert 'id="keys-note"' in client.get(f"/web/o/{OFFICE_A}/admin").text
    rules = client.post(
        f"/web/o/{OFFICE_A}/admin/rules",
        data={
            "csrf_token": token,
            "early_minutes": "45",
            "flags_shown": "1",
            "deny_needs_ack": "on",
            "override_norm": "2",
        },
    )
    assert rules.status_code == 200 and 'value="45"' in rules.text
    assert 'id="override-norm">2<' in client.get(f"/web/o/{OFFICE_A}/overrides").text
    bad = client.post(f"/web/o/{OFFICE_A}/admin/rules", data={"csrf_token": token, "early_minutes": "-5"})
    assert bad.status_code == 400
    for action in ("kiosk.revoke", "office.rules"):
        assert _actions(engine, action), action
    assert not _actions(engine, "keys.rotate")
    log = client.get(f"/web/o/{OFFICE_A}/audit").text
    assert "kiosk.revoke" in log and "office.rules" in log and "early_minutes: 30 -&gt; 45" in log


def test_the_audit_log_page_and_its_chain(client: WebClient, engine: Engine) -> None:
    logged_in(client, "admin_b")
    logged_in(client, "auditor")
    page = client.get("/web/audit").text
    assert 'id="audit-verified" class="ok"' in page
    assert "login" in page
    logged_in(client, "admin_b")
    office_log = client.get(f"/web/o/{OFFICE_B}/audit").text
    assert "admin_a" not in office_log.split("<tbody>", 1)[1]  # another office's actions are not shown
