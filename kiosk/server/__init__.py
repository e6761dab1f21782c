"""The central reference server: booking feed, event collection, online check, admin commands.

Stateless HTTP over one database (SQLite by default, PostgreSQL in production): every piece of state,
the signing keys included, lives in the database, so several instances can serve behind a load
balancer. See docs/sync-protocol.md.
"""
