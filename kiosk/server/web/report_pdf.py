"""The daily report as PDF, made on the server without Qt (fpdf2, pure Python; the core Helvetica font,
so text is kept to Latin-1): A4, page numbers, the audit head of every gate and a signature block."""

from __future__ import annotations

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from kiosk.server.web import labels
from kiosk.server.web.queries.report import Report

_REPLACE = {"\u2014": "-", "\u2013": "-", "\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2026": "..."}
FONT = "Helvetica"


def _latin(text: object) -> str:
    value = str(text)
    for old, new in _REPLACE.items():
        value = value.replace(old, new)
    return value.encode("latin-1", "replace").decode("latin-1")


class _Pdf(FPDF):
    title_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.cell(0, 6, _latin(f"{self.title_text}  -  Halaman / Page {self.page_no()} / {{nb}}"), align="C")


class _Writer:
    """Lines, headings and tables on the report's pages, in one language (Indonesian: English beside)."""

    def __init__(self, pdf: _Pdf, lang: str) -> None:
        self.pdf, self.lang = pdf, lang

    def w(self, indonesian: str, english: str) -> str:
        return indonesian if self.lang == "id" else english

    def line(self, text: str, size: float = 10, bold: bool = False, height: float = 5.5) -> None:
        self.pdf.set_font(FONT, style="B" if bold else "", size=size)
        self.pdf.multi_cell(0, height, _latin(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def heading(self, indonesian: str, english: str) -> None:
        self.pdf.ln(2)
        self.line(f"{indonesian} / {english}" if self.lang == "id" else english, 12, True, 7)

    def table(self, header: list[str], rows: list[list[object]], widths: list[float]) -> None:
        pdf = self.pdf
        pdf.set_font(FONT, style="B", size=8.5)
        for text, width in zip(header, widths, strict=True):
            pdf.cell(width, 6, _latin(text), border=1)
        pdf.ln()
        pdf.set_font(FONT, size=8.5)
        for row in rows:
            for value, width in zip(row, widths, strict=True):
                text = _latin(value)
                while text and pdf.get_string_width(text) > width - 2:
                    text = text[:-1]
                pdf.cell(width, 5.5, text, border=1, align="R" if isinstance(value, int) else "L")
            pdf.ln()
        if not rows:
            pdf.cell(sum(widths), 5.5, _latin(self.w("tidak ada", "none")), border=1)
            pdf.ln()


def _head(out: _Writer, report: Report) -> None:
    d, w = report.day, out.w
    out.line(w("Laporan Harian Gerbang / Daily Gate Report", "Daily Gate Report"), 16, True, 9)
    name = report.office_name if report.office_name != report.office_code else ""
    out.line(f"{w('Kantor', 'Office')}: {report.office_code}  {name}")
    out.line(f"{w('Tanggal', 'Day')}: {d.day.isoformat()}   {w('Zona waktu', 'Time zone')}: {report.zone_key}")
    generated = f"{report.generated_at:%Y-%m-%d %H:%M}"
    out.line(f"{w('Gerbang', 'Gates')}: {', '.join(d.gates) or '-'}   {w('Dibuat pada', 'Generated')}: {generated}")


def _numbers(out: _Writer, report: Report) -> None:
    d, w, lang = report.day, out.w, out.lang
    out.heading("Jumlah", "Totals")
    totals: list[list[object]] = [
        [labels.name(labels.VERDICTS, v, lang), d.totals.get(v, 0)] for v in ("ADMIT", "REFER", "DENY")
    ]
    totals.append([w("Orang masuk", "People admitted"), d.persons_admitted])
    totals.append([w("Izin masuk oleh petugas", "Guard overrides"), d.actions_per_kind.get("override", 0)])
    out.table([w("Butir", "Item"), w("Jumlah", "Count")], totals, [80, 30])
    out.heading("Per jam, semua gerbang", "Per hour, all gates")
    hours: list[list[object]] = [
        [f"{h:02d}:00", d.per_hour[h].get("ADMIT", 0), d.per_hour[h].get("REFER", 0), d.per_hour[h].get("DENY", 0)]
        for h in d.hours
    ]
    out.table([w("Jam", "Hour"), "ADMIT", "REFER", "DENY"], hours, [30, 30, 30, 30])
    out.heading("Ditolak dan diteruskan, per alasan", "Denied and referred, by reason")
    reasons: list[list[object]] = [
        [v, labels.name(labels.REASONS, r, lang), r, n] for (v, r), n in sorted(d.per_reason.items())
    ]
    out.table([w("Keputusan", "Verdict"), w("Alasan", "Reason"), w("Kode", "Code"), "n"], reasons, [22, 80, 60, 18])
    out.heading("Izin masuk oleh petugas, per petugas", "Overrides per guard")
    per_guard: list[list[object]] = [[g, n] for g, n in sorted(d.overrides_per_guard.items())]
    out.table([w("Petugas", "Guard"), "n"], per_guard, [80, 20])


def _actions(out: _Writer, report: Report) -> None:
    w = out.w
    out.heading("Tindakan petugas", "Guard actions")
    rows: list[list[object]] = [
        [a.at.strftime("%H:%M:%S"), a.gate, a.guard, a.kind, a.reason, a.persons, a.booking_ref or "-", a.note]
        for a in report.day.actions
    ]
    header = [w("Waktu", "Time"), w("Gerbang", "Gate"), w("Petugas", "Guard"), w("Tindakan", "Action")]
    header += [w("Alasan", "Reason"), "n", w("Jadwal", "Booking"), w("Catatan", "Note")]
    out.table(header, rows, [17, 14, 18, 17, 32, 8, 28, 46])


def _heads_and_signatures(out: _Writer, report: Report) -> None:
    w, pdf = out.w, out.pdf
    out.heading("Kepala rantai audit setiap gerbang", "Audit head of every gate")
    for head in report.heads:
        if head.seq is None:
            out.line(f"{head.gate}  {head.kiosk_id}: {w('belum ada', 'none yet')}", 9)
            continue
        if head.anchored:
            state = w("diangkur di server", "anchored at the server")
        else:
            state = w("dilaporkan kios, belum diangkur", "reported, not anchored")
        out.line(f"{head.gate}  {head.kiosk_id}  ({state}): {w('entri', 'entry')} {head.seq}", 9, True)
        out.line(f"    {head.grouped}", 9)
    pdf.ln(6)
    pdf.set_font(FONT, size=10)
    half = (pdf.w - pdf.l_margin - pdf.r_margin) / 2
    pdf.cell(half, 6, _latin(w("Dibuat oleh,", "Prepared by,")))
    pdf.cell(half, 6, _latin(w("Mengetahui, Kepala Kantor", "Acknowledged by, Head of Office")))
    pdf.ln(24)
    for text in ("(______________________)", "NIP"):
        pdf.cell(half, 6, text)
        pdf.cell(half, 6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def report_pdf(report: Report, lang: str = "id") -> bytes:
    pdf = _Pdf(orientation="P", unit="mm", format="A4")
    pdf.title_text = f"{report.office_code} {report.day.day.isoformat()}"
    pdf.alias_nb_pages()
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.set_title(_latin(f"Laporan Harian Gerbang {report.office_code} {report.day.day.isoformat()}"))
    pdf.add_page()
    out = _Writer(pdf, lang)
    _head(out, report)
    _numbers(out, report)
    _actions(out, report)
    _heads_and_signatures(out, report)
    return bytes(pdf.output())
