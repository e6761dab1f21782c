"""Workers: the only Qt threading code (camera capture and decoding, keyboard-wedge input, the database
writer, sync). Each has a synchronous mode so tests need no threads.

Importing this package guards against PySide6 6.12's lost references to None and True on Python 3.11
(see qtfix); kiosk.ui does the same, as it may be imported first.
"""

from kiosk.workers.qtfix import fix_pyside_refcounts

fix_pyside_refcounts()
