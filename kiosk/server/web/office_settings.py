"""Dashboard settings per office that are not kiosk rules: the guards' override norm per day."""

from __future__ import annotations

from sqlalchemy import Connection, select

from kiosk.server.db import insert_for
from kiosk.server.models import WebOfficeSettingRow

OVERRIDE_NORM = "override_norm_per_day"
DEFAULT_OVERRIDE_NORM = 10
MAX_OVERRIDE_NORM = 10_000


def override_norm(connection: Connection, office_code: str) -> int:
    value = connection.execute(
        select(WebOfficeSettingRow.value).where(
            WebOfficeSettingRow.office_code == office_code, WebOfficeSettingRow.key == OVERRIDE_NORM
        )
    ).scalar()
    try:
        return int(value) if value is not None else DEFAULT_OVERRIDE_NORM
    except ValueError:
        return DEFAULT_OVERRIDE_NORM


def set_override_norm(connection: Connection, office_code: str, norm: int) -> None:
    if not 0 <= norm <= MAX_OVERRIDE_NORM:
        raise ValueError(f"the override norm is between 0 and {MAX_OVERRIDE_NORM} a day")
    statement = insert_for(connection, WebOfficeSettingRow).values(
        office_code=office_code, key=OVERRIDE_NORM, value=str(norm)
    )
    connection.execute(
        statement.on_conflict_do_update(index_elements=["office_code", "key"], set_={"value": str(norm)})
    )
