"""`kiosk server user add|disable|reset|list`, and the packaging of the dashboard's files."""

from __future__ import annotations

import datetime as dt
import io
import re
import tomllib
from pathlib import Path

import pytest
from sqlalchemy import select

from kiosk.server import accounts
from kiosk.server.cli import main
from kiosk.server.db import make_engine, reading, writing
from kiosk.server.models import AdminAuditRow, WebUserRow

ROOT = Path(__file__).resolve().parents[3]
WEB = ROOT / "kiosk" / "server" / "web"


def _run(capsys: pytest.CaptureFixture[str], db: str, *argv: str) -> tuple[int, str, str]:
    code = main(["--db", db, *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_user_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    db = f"sqlite:///{tmp_path / 'server.db'}"
    assert _run(capsys, db, "office", "add", "CLIOF", "--zone", "WIB")[0] == 0
    code, out, _ = _run(capsys, db, "user", "add", "kepala", "--role", "office_viewer", "--office", "cliof")
    assert code == 0
    password = re.search(r"password \(shown once\): (\S+)", out)
    assert password and len(password.group(1)) >= accounts.MIN_PASSWORD_CHARS
    monkeypatch.setattr("sys.stdin", io.StringIO("a very long password\n"))
    assert _run(capsys, db, "user", "add", "inspektur", "--role", "national_auditor", "--password-stdin")[0] == 0
    code, _, err = _run(capsys, db, "user", "add", "kepala", "--role", "office_viewer", "--office", "CLIOF")
    assert code == 1 and "exists already" in err
    code, _, err = _run(capsys, db, "user", "add", "tanpa", "--role", "office_admin")
    assert code == 1 and "--office" in err
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    code, _, err = _run(capsys, db, "user", "reset", "kepala", "--password-stdin")
    assert code == 1 and "at least" in err
    engine = make_engine(db)
    try:
        now = dt.datetime.now(dt.UTC)
        with writing(engine) as connection:
            assert accounts.login(connection, "inspektur", "a very long password", now).outcome == "ok"
            for _ in range(accounts.MAX_FAILURES):
                accounts.login(connection, "kepala", "wrong", now)
            assert accounts.login(connection, "kepala", password.group(1), now).outcome == "locked"
        code, out, _ = _run(capsys, db, "user", "reset", "kepala")
        fresh = re.search(r"password \(shown once\): (\S+)", out)
        assert code == 0 and fresh
        with writing(engine) as connection:
            assert accounts.login(connection, "kepala", fresh.group(1), now).outcome == "ok"  # the lock cleared
        assert _run(capsys, db, "user", "disable", "kepala")[0] == 0
        with writing(engine) as connection:
            assert accounts.login(connection, "kepala", fresh.group(1), now).outcome == "bad"
        code, out, _ = _run(capsys, db, "user", "list")
        assert code == 0 and "kepala" in out and "national_auditor" in out
        with reading(engine) as connection:
            stored = connection.execute(select(WebUserRow.password_hash)).scalars().all()
            actions = connection.execute(select(AdminAuditRow.action, AdminAuditRow.actor)).all()
        assert all(h.startswith("scrypt$") and fresh.group(1) not in h for h in stored)
        assert {a for a, _ in actions} >= {"user.add", "user.reset", "user.disable"}
        assert all(actor.startswith("cli") for _, actor in actions)
    finally:
        engine.dispose()


def test_templates_and_style_sheet_are_packaged() -> None:
    with (ROOT / "pyproject.toml").open("rb") as file:
        project = tomllib.load(file)
    data = project["tool"]["setuptools"]["package-data"]["kiosk.server.web"]
    assert "templates/*.html" in data and "static/*.css" in data
    names = {p.name for p in (WEB / "templates").glob("*.html")}
    used = set()
    for path in [*WEB.glob("*.py"), *(WEB / "templates").glob("*.html")]:
        used |= set(re.findall(r'"([a-z_]+\.html)"', path.read_text(encoding="utf-8")))
    assert used <= names, f"templates named but missing: {sorted(used - names)}"
    server = {
        re.split(r"[\s\[<>=!~;]", r, maxsplit=1)[0].lower()
        for r in project["project"]["optional-dependencies"]["server"]
    }
    assert {"jinja2", "python-multipart", "fpdf2"} <= server
    core = {re.split(r"[\s\[<>=!~;]", r, maxsplit=1)[0].lower() for r in project["project"]["dependencies"]}
    assert not core & {"jinja2", "python-multipart", "fpdf2"}, "the kiosk's own install carries no web stack"


def test_the_kiosk_bundle_leaves_the_web_stack_out() -> None:
    spec = (ROOT / "kiosk.spec").read_text(encoding="utf-8")
    stack = spec.split("SERVER_STACK = [", 1)[1].split("]", 1)[0]
    for name in ("jinja2", "kiosk.server.web", "fpdf", "multipart"):
        assert f'"{name}"' in stack, f"kiosk.spec must leave {name} out of the kiosk's bundle"
    cli_users = (ROOT / "kiosk" / "server" / "cli_users.py").read_text(encoding="utf-8")
    assert "kiosk.server.web" not in cli_users and "jinja2" not in cli_users  # `kiosk server` stays light
