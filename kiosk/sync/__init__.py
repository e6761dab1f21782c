"""The kiosk's sync client: enrolment, outbox upload, booking feed download, online check, signed codes.

No Qt here (kiosk/workers/sync_worker.py runs it on a thread). Everything it writes goes through
KioskStore.writing(): each page and its cursor in one transaction.
"""
