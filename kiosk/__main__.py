"""`python -m kiosk ...` and the PyInstaller build's entry point: the same as the `kiosk` command.

freeze_support(): the kiosk starts child processes (the QR decoder) with multiprocessing's "spawn";
in a frozen build each child is this program started again with special arguments, which this call
recognises and serves. The `__main__` guard keeps a spawned child from running the command line.
"""

import multiprocessing

from kiosk.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    raise SystemExit(main())
