"""The kiosk's sync client: enrolment, outbox upload, booking feed download, online check, signed codes.

No Qt here (kiosk/workers/sync_worker.py schedules it; kiosk/sync/process.py runs it in a process of
its own). Everything it writes goes through KioskStore: each page's cursor with the page's last rows.
"""
