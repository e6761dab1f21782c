"""Widgets: the applicant screen, the guard console and their dialogs. Never blocks on I/O."""

from kiosk.workers.qtfix import fix_pyside_refcounts

fix_pyside_refcounts()  # before any widget exists: see kiosk/workers/qtfix.py
