"""The daily report's printed form: HTML blocks (and their style sheet, title and page footer) that
kiosk/ui/report_pdf.py lays out on pages and prints to PDF with Qt.

Here, below Qt, so that the report's content (data, CSV and printed form) sits together in one package
and can be read and tested without a display. Every value is HTML-escaped; guard notes are already
cleaned of markup by the store.

The report is a list of blocks, each kept whole on one page: the head (office, kiosk and gate, day,
audit chain and its head for signing), the totals and small tables, a heading for the guard actions,
one block per guard action (an override is never split across pages), and the signature block at the
end ("Dibuat oleh" / "Mengetahui"). The printer repeats `actions_heading` on a page that continues the
actions, and prints `footer` (with the page numbers, "Halaman 2 dari 5") on every page. Indonesian by
default, English with `lang=Lang.EN`; times are the office's, the zone named (WIB/WITA/WIT).
"""

from __future__ import annotations

import enum
import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kiosk.domain.explain import Lang
from kiosk.domain.model import Verdict
from kiosk.store.guard_actions import ActionKind
from kiosk.store.reports import daily_words, names
from kiosk.store.reports.daily import ActionLine, DailyReport

VERDICTS = (Verdict.ADMIT, Verdict.DENY, Verdict.REFER)

#: The style sheet the HTML is laid out with (QTextDocument.setDefaultStyleSheet()).
STYLE_SHEET = (
    "body { font-family: 'DejaVu Sans', sans-serif; font-size: 9pt; }"
    "h1 { font-size: 15pt; margin-bottom: 2px; } h2 { font-size: 11pt; margin-top: 10px; margin-bottom: 4px; }"
    "h3 { font-size: 9.5pt; margin-top: 10px; margin-bottom: 3px; }"
    "p.office { font-size: 11pt; font-weight: bold; margin-top: 0px; }"
    "th { background-color: #dfe5eb; text-align: left; } td, th { padding: 2px 5px; }"
    "td.key { background-color: #f1f3f5; }"
    ".ok { color: #1b6e2a; font-weight: bold; } .bad { color: #9f1717; font-weight: bold; }"
    ".hash { font-family: 'DejaVu Sans Mono', monospace; font-weight: bold; }"
    ".override { font-weight: bold; } .small { font-size: 8pt; color: #404040; }"
)

#: The guard actions' columns and their share of the page's width (percent; they add up to 100).
_ACTION_COLUMNS = (
    ("time", 7),
    ("guard", 9),
    ("action", 10),
    ("reason", 14),
    ("persons", 6),
    ("scan", 15),
    ("booking", 7),
    ("code", 10),
    ("note", 22),
)


class BlockKind(enum.StrEnum):
    HEAD = "head"
    SECTION = "section"
    ACTIONS_HEADING = "actions_heading"
    ACTION = "action"
    SIGNATURE = "signature"


@dataclass(frozen=True, slots=True)
class Block:
    """A piece of the printed report kept whole on one page."""

    kind: BlockKind
    html: str
    #: The action's event id for an ACTION block (tests find an override's pages by it), else "".
    event_uuid: str = ""
    override: bool = False


@dataclass(frozen=True, slots=True)
class Printed:
    """The printed report: its blocks in order, the heading repeated on a page continuing the actions,
    and the footer of every page (left: what the document is; right: the page number)."""

    title: str
    blocks: tuple[Block, ...]
    actions_heading: str
    footer: str
    #: "Halaman {page} dari {pages}": fill in with page_label().
    page_label: str

    def page_of(self, page: int, pages: int) -> str:
        return self.page_label.replace("{page}", str(page)).replace("{pages}", str(pages))


def title(report: DailyReport, lang: Lang = Lang.ID) -> str:
    """The document's title (the PDF's metadata)."""
    return f"{names.text('title', lang)} {report.office_code} {report.stats.day.isoformat()}"


def printed(report: DailyReport, lang: Lang = Lang.ID, prepared_by: str = "") -> Printed:
    """The report as blocks for the printer. `prepared_by`: the name on the "Dibuat oleh" line (a
    dotted line to write on when empty)."""
    blocks = [
        Block(BlockKind.HEAD, _head(report, lang)),
        *(Block(BlockKind.SECTION, part) for part in _sections(report, lang)),
        Block(BlockKind.ACTIONS_HEADING, _actions_heading(report, lang, continued=False)),
        *(
            Block(BlockKind.ACTION, _action_row(a, n, lang), a.event_uuid, a.kind == ActionKind.OVERRIDE)
            for n, a in enumerate(report.actions)
        ),
    ]
    if not report.actions:
        blocks.append(Block(BlockKind.SECTION, _table([""], [[names.text("none", lang)]], header=False)))
    blocks.append(Block(BlockKind.SIGNATURE, _signature(report, lang, prepared_by)))
    footer = (
        f"{names.text('title', lang)} · {report.office} · {report.kiosk_id} / {report.gate} · "
        f"{names.long_date(report.stats.day, lang)} · {names.text('audit_head', lang).split(' (')[0]} "
        f"{report.audit_head_seq}: {report.audit_head_hash[:16]}…"
    )
    return Printed(
        title(report, lang),
        tuple(blocks),
        _actions_heading(report, lang, continued=True),
        footer,
        names.text("page", lang, page="{page}", pages="{pages}"),
    )


def report_html(report: DailyReport, lang: Lang = Lang.ID, prepared_by: str = "") -> str:
    """The whole report as one HTML document (its blocks one after another, without page footers)."""
    return "<html><body>" + "".join(b.html for b in printed(report, lang, prepared_by).blocks) + "</body></html>"


# --- the blocks -------------------------------------------------------------------------------------


def _head(report: DailyReport, lang: Lang) -> str:
    e = html.escape
    stats = report.stats

    def t(key: str) -> str:
        return names.text(key, lang)

    chain = (
        f'<span class="ok">{e(daily_words.audit_chain(report, lang))}</span>'
        if report.audit_ok
        else f'<span class="bad">{e(daily_words.audit_chain(report, lang))}</span>: '
        + e("; ".join(report.audit_problems))
    )
    head = f'<span class="hash">{e(daily_words.audit_head(report))}</span>'
    rows: list[list[str | None]] = [
        [t("office"), report.office],
        [t("kiosk_gate"), f"{report.kiosk_id} / {report.gate}"],
        [t("day"), f"{names.long_date(stats.day, lang, weekday=True)} ({t('zone').lower()} {stats.zone})"],
        [t("generated"), daily_words.generated(report)],
        [t("audit_chain"), None],
        [t("audit_head"), None],
        [t("anchored"), daily_words.anchored(report, lang)],
    ]
    parts = [
        f"<h1>{e(t('title'))}</h1>",
        f'<p class="office">{e(report.office)}</p>',
        _table(["", ""], rows, raw={(4, 1): chain, (5, 1): head}, header=False, widths=(26, 74), key_column=True),
    ]
    if report.empty:
        parts.append(f"<p><b>{e(t('nothing_that_day'))}</b></p>")
    return "".join(parts)


def _sections(report: DailyReport, lang: Lang) -> list[str]:
    stats = report.stats

    def t(key: str) -> str:
        return names.text(key, lang)

    def h2(key: str) -> str:
        return f"<h2>{html.escape(t(key))}</h2>"

    def h3(key: str) -> str:
        return f"<h3>{html.escape(t(key))}</h3>"

    return [
        h2("totals")
        + _table(
            [
                t("admitted_scans"),
                t("denied_scans"),
                t("referred_scans"),
                t("persons_admitted"),
                t("overrides"),
                t("broker_alerts"),
            ],
            [
                [
                    str(stats.total(Verdict.ADMIT)),
                    str(stats.total(Verdict.DENY)),
                    str(stats.total(Verdict.REFER)),
                    str(stats.persons_admitted),
                    str(sum(stats.overrides_per_guard.values())),
                    str(stats.broker_alerts),
                ]
            ],
        ),
        h2("per_hour")
        + _table(
            [f"{t('hour')} ({stats.zone})", t("admitted"), t("denied"), t("referred")],
            [
                [f"{hour:02d}.00–{hour:02d}.59", *(str(stats.per_hour[hour][v.value]) for v in VERDICTS)]
                for hour in sorted(stats.per_hour)
            ],
            widths=(25, 25, 25, 25),
        ),
        _side_by_side(
            h3("by_reason")
            + _table(
                [t("reason"), t("count")],
                [[names.reason(code, lang), str(n)] for code, n in stats.per_reason.most_common()],
                widths=(80, 20),
            ),
            h3("per_guard")
            + _table(
                [t("guard"), t("count")],
                [[name, str(n)] for name, n in sorted(stats.overrides_per_guard.items())],
                widths=(80, 20),
            ),
            h3("per_override_reason")
            + _table(
                [t("reason"), t("count")],
                [
                    [names.action_reason(ActionKind.OVERRIDE, code, lang), str(n)]
                    for code, n in sorted(stats.overrides_per_reason.items())
                ],
                widths=(80, 20),
            ),
        ),
    ]


def _actions_heading(report: DailyReport, lang: Lang, *, continued: bool) -> str:
    heading = names.text("actions", lang) + (f" ({names.text('continued', lang)})" if continued else "")
    headers = [
        f"{names.text(key, lang)} ({report.stats.zone})" if key == "time" else names.text(key, lang)
        for key, _ in _ACTION_COLUMNS
    ]
    return f"<h2>{html.escape(heading)}</h2>" + _table(headers, [], widths=_widths(), empty=False)


def _action_row(a: ActionLine, n: int, lang: Lang) -> str:
    e = html.escape
    scan = " ".join(
        part
        for part in (
            a.ref_local_time,
            names.verdict(a.ref_verdict, lang) if a.ref_verdict else "",
            f"({names.reason(a.ref_reason, lang)})" if a.ref_reason else "",
        )
        if part
    )
    override = a.kind == ActionKind.OVERRIDE
    action = e(names.action(a.kind, lang))
    cells = {
        "time": e(a.local_time),
        "guard": e(a.guard_name),
        "action": f'<span class="override">{action}</span>' if override else action,
        "reason": e(names.action_reason(a.kind, a.reason, lang)),
        "persons": e(str(a.persons)) if override else "",
        "scan": e(scan),
        "booking": e(a.booking_ref),
        "code": e(a.code_masked),
        "note": e(a.note),
    }
    colour = "#ffffff" if n % 2 == 0 else "#f1f4f7"
    row = "".join(
        f'<td width="{width}%" style="border-bottom: 1px solid #c4ccd4;">{cells[key]}</td>'
        for key, width in _ACTION_COLUMNS
    )
    return (
        f'<table width="100%" cellspacing="0" cellpadding="3" border="0" bgcolor="{colour}">'
        f'<tr valign="top">{row}</tr></table>'
    )


def _signature(report: DailyReport, lang: Lang, prepared_by: str) -> str:
    e = html.escape
    dots = "." * 46

    def t(key: str) -> str:
        return names.text(key, lang)

    place_date = f"{t('place_date')}: {'.' * 22}, {names.long_date(report.local_generated_at.date(), lang)}"
    blank_place_date = f"{t('place_date')}: {'.' * 22}, {'.' * 22}"
    signed = names.text("signed_head", lang, seq=report.audit_head_seq, hash="{hash}")
    before, _, after = e(signed).partition("{hash}")
    head = f'{before}<span class="hash">{e(daily_words.grouped(report.audit_head_hash))}</span>{after}'

    where = f"{t('kiosk_gate')}: {report.kiosk_id} / {report.gate}"
    prepared_role = f'{e(t("prepared_role"))}<br/><span class="small">{e(where)}</span>'
    office_head = f'{e(t("acknowledged_role"))}<br/><span class="small">{e(report.office)}</span>'

    def column(said: str, role: str, date_line: str, name: str) -> str:
        return (
            f"{e(date_line)}<br/><br/><b>{e(said)}</b><br/>{role}"
            "<br/><br/><br/><br/>"
            f"{e(t('name'))}: {e(name) if name else dots}<br/><br/>"
            f"{e(t('nip'))}: {dots}"
        )

    return (
        f"<p><br/>{head}</p>"
        '<table width="100%" cellspacing="0" cellpadding="6" border="0"><tr valign="top">'
        f'<td width="50%">{column(t("prepared_by"), prepared_role, place_date, prepared_by.strip())}</td>'
        f'<td width="50%">{column(t("acknowledged_by"), office_head, blank_place_date, "")}</td></tr></table>'
    )


# --- tables -------------------------------------------------------------------------------------------


def _side_by_side(*parts: str) -> str:
    """Small tables next to each other, each with its heading (built here, not from data)."""
    width = 100 // len(parts)
    cells = "".join(f'<td width="{width}%" style="padding-right: 10px;">{part}</td>' for part in parts)
    return f'<table width="100%" cellspacing="0" cellpadding="0" border="0"><tr valign="top">{cells}</tr></table>'


def _widths() -> tuple[int, ...]:
    return tuple(width for _, width in _ACTION_COLUMNS)


def _table(
    headers: Sequence[str],
    rows: Iterable[Sequence[str | None]],
    raw: dict[tuple[int, int], str] | None = None,
    header: bool = True,
    widths: Sequence[int] = (),
    key_column: bool = False,
    empty: bool = True,
) -> str:
    """An HTML table of escaped cells; `raw` cells (built here, not from data) are inserted as they are.
    `widths`: each column's share of the width in percent; `empty`: a row "—" when there are no rows."""
    raw = raw or {}
    out = ['<table border="1" cellspacing="0" cellpadding="3" width="100%" style="border-color: #9aa5b1;">']

    def width(c: int) -> str:
        return f' width="{widths[c]}%"' if c < len(widths) else ""

    if header:
        out.append("<tr>" + "".join(f"<th{width(c)}>{html.escape(h)}</th>" for c, h in enumerate(headers)) + "</tr>")
    body = list(rows)
    for r, row in enumerate(body):
        cells = []
        for c, value in enumerate(row):
            css = ' class="key"' if key_column and c == 0 else ""
            cells.append(f"<td{css}{width(c)}>{raw.get((r, c)) or html.escape(value or '')}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    if not body and empty:
        out.append(f'<tr><td colspan="{len(headers)}">—</td></tr>')
    out.append("</table>")
    return "".join(out)
