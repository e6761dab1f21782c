"""Everything about the demo, in one place: made-up data and the ways the kiosk is shown on it.

- data.py: made-up bookings of an office's day, their export files and QR sheet (`kiosk demo-data`).
- showcase.py: a booking for every outcome, timed around the demo clock.
- setup.py: the demo database (the one rule for what counts as one: open_demo_store), the demo
  office, guard and clock; shared by every demo below.
- camera.py: the simulated camera's scripted scene.
- gui.py: `kiosk demo` with windows (run_demo). The text demo's reading and printing is the
  command line's (kiosk/cli/demo.py).
- screenshots.py: `kiosk screenshots` (the grabbing itself: kiosk/ui/screenshots.py).

Above the composition root (kiosk/app.py) in the layers: the windowed demo and the screenshots
assemble the kiosk as `kiosk run` does. Nothing here is imported by the kiosk itself.
"""
