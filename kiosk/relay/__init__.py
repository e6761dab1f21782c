"""Gate relay boards: what physically releases the door after an ADMIT is on disk.

Plain Python, no Qt: `board.RelayBoard` switches one contact on or off and raises `RelayFault` with a
sentence a guard can act on. The drivers (`serial_board` for USB relay boards, `gpio_board` for GPIO
lines) import their native library only when chosen, so a kiosk without a gate needs neither.
"""
