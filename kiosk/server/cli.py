"""`kiosk server ...`: run the central server and administer it.

    kiosk server init                       create the tables and the first signing key
    kiosk server run [--port 8800]          serve the API (add --faults ... for a fault drill)
    kiosk server office add JKTSEL --zone WIB [--signed-codes] [--rules '{"early_minutes": 20}']
    kiosk server import bookings.csv        CSV or JSON lines, many offices per file
    kiosk server enrol --office JKTSEL --gate G1     prints the one-time enrolment token
    kiosk server revoke K-1A2B3C4D
    kiosk server kiosks                     last sync, audit head, anchoring, incidents, alerts
    kiosk server incidents [--kiosk K-...]  forks, rewrites and rollbacks of kiosks' audit chains
    kiosk server events --office JKTSEL [--gate G1] [--date 2026-12-01]
    kiosk server keys list|rotate|retire KEY_ID
    kiosk server sign-code --code MP7K2Q9T3M        the KS1 text for a booking's signed QR
    kiosk server cancel --code MP7K2Q9T3M           cancel a booking (revokes its signed code)
    kiosk server purge [--booking-days 7] [--event-months 13]    delete what is past retention
    kiosk server openapi --out docs/openapi.json

The same commands are `kiosk-server ...`. Both need the `server` extra (pip install 'kiosk[server]'):
a kiosk's own install has no FastAPI, uvicorn or psycopg, and there `kiosk server` says so in one line.

Here: the parser, init, run (and the fault drill), purge and openapi; the offices' and keys' commands
are in cli_offices.py, the kiosks' in cli_kiosks.py, each group's parser beside its commands.

The database is --db, else $KIOSK_SERVER_DB, else sqlite:///kiosk-server.db. --db may come before
the command or after it (`kiosk server --db URL init` and `kiosk server init --db URL` are the same).
"""

from __future__ import annotations

import argparse
import errno
import gc
import importlib.util
import json
import os
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kiosk.server import accounts, cli_kiosks, cli_offices, cli_users, keys, kiosks, offices
from kiosk.server.cli_common import engine_of, now
from kiosk.server.db import DEFAULT_URL, ServerDbError
from kiosk.server.faults import KINDS, FaultPlan, with_faults
from kiosk.server.limits import BodyLimits
from kiosk.server.retention import DEFAULT_BOOKING_DAYS, DEFAULT_EVENT_MONTHS, DailyPurge, Retention, purge

#: What the `server` extra installs (pyproject.toml): without it the kiosk has no central server.
SERVER_PACKAGES = ("fastapi", "uvicorn", "psycopg")
NOT_INSTALLED = "the central server is not installed: pip install 'kiosk[server]'"
EXIT_NOT_INSTALLED = 2

#: The exit status of a command whose reader went away (`kiosk server events ... | head -1`): what a
#: shell reports for a process ended by SIGPIPE (128 + 13).
EXIT_BROKEN_PIPE = 141


def main(argv: Sequence[str] | None = None, prog: str = "kiosk server") -> int:
    if not server_installed():
        print(NOT_INSTALLED, file=sys.stderr)
        return EXIT_NOT_INSTALLED
    parser = _parser(prog)
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "handler", None):
            parser.print_help()
            return 2
        return _handle(args)
    except BrokenPipeError:
        _quiet_stdout()  # the reader left (`| head -1`): nothing more to say, and no traceback
        return EXIT_BROKEN_PIPE


def server_installed() -> bool:
    """Whether the `server` extra is installed (a kiosk's own install, and its frozen bundle, lack it)."""
    return all(importlib.util.find_spec(name) is not None for name in SERVER_PACKAGES)


def _handle(args: argparse.Namespace) -> int:
    try:
        result: int = args.handler(args)
        sys.stdout.flush()  # a pipe closed early shows here, inside main(), rather than at exit
    except (
        offices.OfficeError,
        kiosks.KioskError,
        keys.KeyAdminError,
        accounts.AccountError,
        ServerDbError,
        ListenError,
        ValueError,
    ) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        engine = getattr(args, "engine", None)
        if engine is not None:
            engine.dispose()
    return result


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so that what is still buffered is not written (and fails again) at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def script_main() -> int:
    """The `kiosk-server` console script: the same commands, named as the user typed them."""
    return main(prog="kiosk-server")


def _parser(prog: str = "kiosk server") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=os.environ.get("KIOSK_SERVER_DB", DEFAULT_URL), help="database URL")
    commands = parser.add_subparsers(metavar="COMMAND")

    init = commands.add_parser("init", help="create the tables and the first signing key")
    init.set_defaults(handler=_init)

    run = commands.add_parser("run", help="serve the API")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8800, help="0: any free port (printed)")
    run.add_argument("--workers", type=int, default=1, help="worker processes (PostgreSQL only)")
    run.add_argument("--page-limit", type=int, default=2000, help="largest booking page")
    run.add_argument("--faults", default="", help=f"comma-separated faults to inject at random: {','.join(KINDS)}|all")
    run.add_argument("--fault-rate", type=float, default=0.0, help="share of requests that get a fault")
    run.add_argument("--fault-seed", type=int, default=None)
    run.add_argument("--fault-token", default="", help="enables POST /_faults with header X-Fault-Token")
    run.add_argument("--fault-timeout", type=float, default=2.0, help="seconds a 'timeout' fault holds a reply")
    run.add_argument("--max-events-kb", type=int, default=None, help="largest event upload body, KiB (default 1024)")
    run.add_argument(
        "--max-body-kb", type=int, default=None, help="largest body of the other kiosk routes, KiB (default 64)"
    )
    run.add_argument(
        "--max-open-kb",
        type=int,
        default=None,
        help="largest body of routes without a token (enrol...), KiB (default 8)",
    )
    _retention_options(run)
    run.add_argument("--no-purge", action="store_true", help="no daily retention purge in this process")
    run.set_defaults(handler=_run)

    purge = commands.add_parser("purge", help="delete bookings, events and audit reports past their retention")
    _retention_options(purge)
    purge.set_defaults(handler=_purge)

    spec = commands.add_parser("openapi", help="write the OpenAPI spec")
    spec.add_argument("--out", type=Path, default=None)
    spec.set_defaults(handler=_openapi)

    cli_offices.add_office_commands(commands)
    cli_kiosks.add_kiosk_commands(commands)
    cli_offices.add_key_commands(commands)
    cli_users.add_user_commands(commands)
    _share_options(parser)
    return parser


def _retention_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--booking-days",
        type=int,
        default=DEFAULT_BOOKING_DAYS,
        help=f"days after its service date a booking is kept (default {DEFAULT_BOOKING_DAYS})",
    )
    parser.add_argument(
        "--event-months",
        type=int,
        default=DEFAULT_EVENT_MONTHS,
        help=f"months events and audit reports are kept after they arrived (default {DEFAULT_EVENT_MONTHS})",
    )


def _share_options(parser: argparse.ArgumentParser) -> None:
    """Give every (sub)command the group's --db too, so that it may follow the command. The copies
    default to SUPPRESS: absent, they leave the value the group's own option set (flag, $KIOSK_SERVER_DB
    or the default) alone."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                sub.add_argument("--db", default=argparse.SUPPRESS, help="database URL (also before the command)")
                _share_options(sub)


def _init(args: argparse.Namespace) -> int:
    engine_of(args)
    print(f"server database ready: {args.db}")
    return 0


def _run(args: argparse.Namespace) -> int:
    plan = None
    if args.faults or args.fault_token:
        kinds = KINDS if args.faults in ("", "all") else tuple(k.strip() for k in args.faults.split(",") if k.strip())
        plan = FaultPlan(
            rate=args.fault_rate,
            random_kinds=kinds,
            seed=args.fault_seed,
            token=args.fault_token,
            timeout_s=args.fault_timeout,
        )
    limits = BodyLimits.of_kib(args.max_events_kb, args.max_body_kb, args.max_open_kb)
    retention = Retention(args.booking_days, args.event_months)
    daily = None if args.no_purge else DailyPurge(engine_of(args), retention, now)
    try:
        if daily is not None:
            daily.start()
        return _serve(args, plan, limits, daily.stop if daily is not None else _nothing)
    finally:
        if daily is not None:
            daily.stop()  # the server ended otherwise than by a signal (which _serve's shutdown handles)


def _nothing() -> None:
    return None


def _serve(args: argparse.Namespace, plan: FaultPlan | None, limits: BodyLimits, on_shutdown: Any) -> int:
    import uvicorn

    class Server(uvicorn.Server):
        """Stops the daily purge as the server shuts down: uvicorn ends the process by raising the
        signal it caught again, so code after run() never runs after SIGTERM or SIGINT."""

        async def shutdown(self, sockets: Any = None) -> None:
            await super().shutdown(sockets)
            on_shutdown()

    from kiosk.server.app import ENV_DB, ENV_LIMITS, create_app

    if args.workers > 1:
        if plan is not None:
            raise ValueError("fault injection runs in one worker process only")
        _listen(args.host, args.port).close()  # a port in use is one line here, not uvicorn's log
        os.environ[ENV_DB] = args.db
        os.environ[ENV_LIMITS] = limits.to_env()
        uvicorn.run(
            "kiosk.server.app:app_from_env",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_level="warning",
            access_log=False,
        )
        return 0
    app: Any = create_app(args.db, page_limit=args.page_limit, body_limits=limits)
    if plan is not None:  # the drill: the fault layer wraps the production app from outside
        app = with_faults(app, plan)
    # Collect once and freeze what start-up made (FastAPI, SQLAlchemy, pydantic): the first full
    # collection otherwise walks ~110,000 objects (57 ms measured) in the middle of some kiosk's
    # online check, which waits for it with its scan (tests/bench/bench_door.py).
    gc.collect()
    gc.freeze()
    sock = _listen(args.host, args.port)  # connections queue from now on, so "listening" below is true
    port = sock.getsockname()[1]
    print(f"kiosk server listening on http://{args.host}:{port}", flush=True)
    config = uvicorn.Config(
        app,
        host=args.host,
        port=port,
        log_level="warning",
        access_log=False,
        http="h11",
        lifespan="off",
        timeout_graceful_shutdown=5,
    )
    Server(config).run(sockets=[sock])
    return 0


class ListenError(Exception):
    """The server cannot listen where it was told to; the message is one line for the administrator."""


def _listen(host: str, port: int) -> socket.socket:
    """A socket listening on host:port (0: any free port); ListenError says why not, in one line."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise ListenError(_listen_problem(host, port, exc)) from None
    return sock


def _listen_problem(host: str, port: int, exc: OSError) -> str:
    where = f"{host}:{port}"
    if exc.errno == errno.EADDRINUSE:
        return (
            f"port {port} is in use: another program (another kiosk server?) listens on {where}; stop it or give --port"
        )
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"no permission to listen on port {port} (below 1024 needs privileges): give --port 1024 or above"
    if exc.errno == errno.EADDRNOTAVAIL or isinstance(exc, socket.gaierror):
        return f"cannot listen on {where}: {host} is not an address of this machine (--host)"
    return f"cannot listen on {where}: {exc.strerror or exc}"


def _purge(args: argparse.Namespace) -> int:
    purged = purge(engine_of(args), now(), Retention(args.booking_days, args.event_months))
    print(
        f"{purged.summary()} (bookings {args.booking_days} days after their service date, "
        f"events and audit reports {args.event_months} months after they arrived)"
    )
    return 0


def _openapi(args: argparse.Namespace) -> int:
    text = openapi_text()
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {args.out}")
    else:
        print(text, end="")
    return 0


def openapi_text() -> str:
    """The OpenAPI spec as committed in docs/openapi.json (built without a database)."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import StaticPool

    from kiosk.server.app import create_app

    engine = create_engine("sqlite://", poolclass=StaticPool)
    try:
        app = create_app(engine=engine)
        return json.dumps(app.openapi(), indent=2, sort_keys=True) + "\n"
    finally:
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
