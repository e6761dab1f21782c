"""How times are written in the database: UTC ISO-8601 text, which sorts in time order.

The helpers are shared with the central server: kiosk/formats/times.py."""

from __future__ import annotations

from kiosk.formats.times import from_text, to_text

__all__ = ["from_text", "to_text"]
