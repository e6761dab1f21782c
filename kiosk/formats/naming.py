"""How constraints and indexes are named in both databases (the kiosk's and the server's), so that
migrations and create_all give the same names. A plain dict for SQLAlchemy's
`MetaData(naming_convention=...)`; shared by kiosk/store and kiosk/server."""

from __future__ import annotations

NAMING: dict[str, str] = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
