"""Vision: frame sources, QR decoders, the decode pipeline, idle gating and the camera watchdog.

No Qt here (the workers package owns threads and signals). Each native decoder is imported by its own
module only (decode_zxing, decode_zbar, decode_opencv), so a missing native library breaks one backend,
never the package.
"""
