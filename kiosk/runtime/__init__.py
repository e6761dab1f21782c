"""How the kiosk's work runs beside the screens: child processes that do one job (supervisor.py),
which CPUs the background work and the deciding thread keep to (cpus.py), and telling systemd how the
kiosk is (notify.py).

Shared by kiosk.vision (the QR decoder's process) and kiosk.sync (the sync's process) and by the
workers; it imports nothing of the kiosk and no Qt.
"""
