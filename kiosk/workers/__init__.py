"""Workers: the only Qt threading code (camera capture and decoding, keyboard-wedge input, the database
writer, sync). Each has a synchronous mode so tests need no threads.

Importing this package guards against PySide6 6.12's emit reference leak (see qtfix).
"""

from kiosk.workers import qtfix

qtfix.install()
