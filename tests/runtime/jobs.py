"""Tiny jobs for child processes in the supervisor's tests (module-level: spawn pickles them by name;
a module of their own, so that a child imports neither pytest nor the kiosk)."""

from __future__ import annotations

import multiprocessing.connection
import os
import time


def echo(conn: multiprocessing.connection.Connection, greeting: str = "ready") -> None:
    """Says `greeting`, then answers each message: "die" ends the process at once with exit code 3,
    "last words" answers and then so ends it, "hang" never answers again, "bye" returns; anything else
    comes back as ("echo", message)."""
    conn.send(greeting)
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        if message == "die":
            os._exit(3)
        if message == "last words":
            conn.send(("echo", message))
            os._exit(4)
        if message == "hang":
            while True:
                time.sleep(3600)
        if message == "bye":
            return
        conn.send(("echo", message))


def deaf(conn: multiprocessing.connection.Connection) -> None:
    """Says hello, then reads nothing and never ends by itself (a goodbye goes unheard)."""
    conn.send("ready")
    while True:
        time.sleep(3600)
