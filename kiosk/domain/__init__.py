"""Pure decision core: payload grammar, booking types, decide(), explanations.

Nothing here reads the clock, touches a database, a camera or Qt: time and data are parameters.
"""
