"""The central server is an extra, not part of the kiosk (issue 14, item 3): the kiosk's install and its
frozen bundle carry no FastAPI, uvicorn or psycopg; without the extra `kiosk server` says so in one line;
the server imports nothing of the kiosk's store; fault injection is outside the production app.

Cheap checks of pyproject.toml, kiosk.spec and the sources: no install and no PyInstaller build."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVER_STACK = ("fastapi", "starlette", "uvicorn", "psycopg")
NOT_INSTALLED = "the central server is not installed: pip install 'kiosk[server]'"


def _pyproject() -> dict[str, object]:
    with (ROOT / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)


def _requirement_name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower()


def _spec_constants() -> dict[str, object]:
    """The list and tuple literals kiosk.spec assigns at top level (SERVER_STACK, QT_UNUSED, ...)."""
    tree = ast.parse((ROOT / "kiosk.spec").read_text(encoding="utf-8"))
    found: dict[str, object] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                found[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                continue
    return found


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_the_kiosk_install_has_no_server_stack() -> None:
    project = _pyproject()["project"]
    assert isinstance(project, dict)
    core = {_requirement_name(r) for r in project["dependencies"]}
    assert not core & set(SERVER_STACK), f"the kiosk's own install must not carry {sorted(core & set(SERVER_STACK))}"
    server = {_requirement_name(r) for r in project["optional-dependencies"]["server"]}
    assert {"fastapi", "uvicorn", "psycopg"} <= server
    assert project["scripts"]["kiosk-server"] == "kiosk.server.cli:script_main"


def test_kiosk_server_names_itself_as_typed(capsys: pytest.CaptureFixture[str]) -> None:
    from kiosk.server import cli

    assert cli.script_main.__doc__
    with pytest.raises(SystemExit):
        cli.main(["--help"], prog="kiosk-server")
    assert capsys.readouterr().out.startswith("usage: kiosk-server ")
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert capsys.readouterr().out.startswith("usage: kiosk server ")


def test_bootstrap_installs_the_server_for_the_tests() -> None:
    bootstrap = (ROOT / "scripts" / "bootstrap").read_text(encoding="utf-8")
    installs = re.findall(r"pip install [^\n]*-e '\.\[([a-z,]+)\]'", bootstrap)
    assert installs, "scripts/bootstrap installs the kiosk with its extras"
    assert all("server" in extras.split(",") for extras in installs)


def test_the_bundle_excludes_the_server_stack() -> None:
    spec = _spec_constants()
    excluded = spec["SERVER_STACK"]
    assert isinstance(excluded, list)
    for name in (*SERVER_STACK, "kiosk.server.app"):
        assert name in excluded, f"kiosk.spec must exclude {name}"
    text = (ROOT / "kiosk.spec").read_text(encoding="utf-8")
    assert "excludes=EXCLUDES" in text
    excludes = next(
        node.value
        for node in ast.parse(text).body
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "EXCLUDES" for t in node.targets)
    )
    assert any(isinstance(node, ast.Name) and node.id == "SERVER_STACK" for node in ast.walk(excludes))
    for name in SERVER_STACK:
        assert f'collect_submodules("{name}")' not in text
        assert f'"{name}"]' not in text.split("hiddenimports =", 1)[1].split("a = Analysis", 1)[0]


def test_the_bundle_drops_only_qt_modules_the_kiosk_never_imports() -> None:
    unused = _spec_constants()["QT_UNUSED"]
    assert isinstance(unused, list)
    for name in ("QtWebEngineCore", "QtQuick", "QtQml", "Qt3DCore", "QtPdf"):
        assert name in unused
    used = {
        module.split(".")[1]
        for path in (ROOT / "kiosk").rglob("*.py")
        for module in _imported_modules(path)
        if module.startswith("PySide6.") and module.count(".") >= 1
    }
    assert {"QtCore", "QtGui", "QtWidgets"} <= used
    assert not used & set(unused), f"kiosk.spec drops Qt modules the kiosk imports: {sorted(used & set(unused))}"


def test_the_server_imports_nothing_of_the_kiosk_store() -> None:
    for path in (ROOT / "kiosk" / "server").glob("*.py"):
        store = {m for m in _imported_modules(path) if m == "kiosk.store" or m.startswith("kiosk.store.")}
        assert not store, f"{path.name} imports {sorted(store)}"


def test_fault_injection_is_outside_the_production_app() -> None:
    server = ROOT / "kiosk" / "server"
    app = _imported_modules(server / "app.py")
    assert not {m for m in app if m.startswith("kiosk.server.faults")}
    faults = _imported_modules(server / "faults.py")
    assert not {m for m in faults if m.startswith("kiosk.server.app")}


_WITHOUT_EXTRA = textwrap.dedent(
    """
    import sys

    for name in {names!r}:  # as if `pip install kiosk` ran without the server extra
        sys.modules[name] = None
    import kiosk.server.cli  # importable without the extra: it says what is missing
    from kiosk.cli import main
    sys.exit(main(sys.argv[1:]))
    """
).format(names=sorted(SERVER_STACK))


def _without_extra(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _WITHOUT_EXTRA, *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def test_kiosk_server_without_the_extra_says_so_in_one_line(tmp_path: Path) -> None:
    for argv in (
        ["server", "--db", f"sqlite:///{tmp_path}/s.db", "init"],
        ["server", "run", "--port", "0"],
        ["server"],
    ):
        done = _without_extra(*argv)
        assert done.returncode == 2, done.stderr
        assert done.stderr.strip() == NOT_INSTALLED
        assert done.stdout == ""
    assert not (tmp_path / "s.db").exists()


def test_the_kiosk_without_the_extra_still_runs() -> None:
    done = _without_extra("--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
