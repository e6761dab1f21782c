"""The architecture holds: the domain is pure Python, and nothing below the UI pulls in Qt.

Each check imports every module of a package in a fresh interpreter (this test process has long since
imported everything) and reports what ended up in sys.modules. A module that fails to import fails the
test: nothing here is skipped.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

#: Imports every module under the package named in argv[1] (except those listed in argv[3]), then prints
#: which of the names in argv[2] (top-level packages or kiosk subpackages) are loaded, and what it imported.
PROBE = """
import importlib, json, pkgutil, sys

def fail(name):
    raise  # walk_packages calls this inside its `except ImportError`: re-raise, never swallow

package = importlib.import_module(sys.argv[1])
imported = [package.__name__]
not_importable = set(json.loads(sys.argv[3]))
for info in pkgutil.walk_packages(package.__path__, package.__name__ + ".", onerror=fail):
    if info.name in not_importable:
        continue
    importlib.import_module(info.name)
    imported.append(info.name)
watched = json.loads(sys.argv[2])
loaded = sorted(w for w in watched if any(m == w or m.startswith(w + ".") for m in sys.modules))
print(json.dumps({"imported": imported, "loaded": loaded}))
"""

HEAVY = ["PySide6", "sqlalchemy", "alembic", "cv2", "zxingcpp", "pyzbar", "numpy", "httpx"]
#: Modules that only run inside a tool and cannot be imported on their own. lint-imports (below) still
#: checks their imports statically.
# Alembic's env.py reads alembic.context.config on import
NOT_IMPORTABLE = ["kiosk.store.migrations.env", "kiosk.store.feed_migrations.env"]
UPPER_LAYERS = ["kiosk.store", "kiosk.vision", "kiosk.sync", "kiosk.server", "kiosk.workers", "kiosk.ui", "kiosk.app"]


def import_all(package: str, watched: list[str]) -> tuple[list[str], list[str]]:
    """Import every module under `package` in a fresh interpreter; return (modules imported, watched loaded)."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, package, json.dumps(watched), json.dumps(NOT_IMPORTABLE)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"importing {package} failed:\n{done.stderr}"
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return report["imported"], report["loaded"]


def test_domain_imports_no_framework_and_no_upper_layer() -> None:
    imported, loaded = import_all("kiosk.domain", HEAVY + UPPER_LAYERS)
    assert loaded == []
    assert {"kiosk.domain.model", "kiosk.domain.payload", "kiosk.domain.decide", "kiosk.domain.explain"} <= set(
        imported
    )
    assert "kiosk.domain.debounce" in imported


@pytest.mark.parametrize(
    "package",
    ["kiosk.store", "kiosk.vision", "kiosk.sync", "kiosk.server", "kiosk.runtime", "kiosk.relay", "kiosk.formats"],
)
def test_lower_layers_never_import_qt(package: str) -> None:
    imported, loaded = import_all(package, ["PySide6", "kiosk.workers", "kiosk.ui"])
    assert package in imported
    assert loaded == [], f"{package} pulls in {loaded}"


def test_probe_does_notice_a_loaded_module() -> None:
    """The probe is not blind: importing the domain does load the domain's own modules."""
    _, loaded = import_all("kiosk.domain", ["kiosk.domain.model", "json"])
    assert loaded == ["json", "kiosk.domain.model"]


def test_import_linter_contracts_are_kept() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint_imports)], cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, f"lint-imports failed:\n{done.stdout}\n{done.stderr}"
    assert "0 broken" in done.stdout


def test_probe_fails_loudly_when_a_module_cannot_be_imported() -> None:
    with pytest.raises(AssertionError, match=r"importing kiosk\.no_such_package failed"):
        import_all("kiosk.no_such_package", [])


def test_no_module_imports_itself_in_a_circle() -> None:
    """Zero import cycles between the kiosk's modules (imports under TYPE_CHECKING aside: they never
    run). A cycle makes the import order matter and the layers blur; lint-imports only sees packages."""
    import grimp

    graph = grimp.build_graph("kiosk", exclude_type_checking_imports=True)
    modules = sorted(graph.modules)
    edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in modules}
    assert _cycles(edges) == []


def _cycles(edges: dict[str, list[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(edges.get(root, [])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges.get(child, []))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]}) == [["a", "b", "c"]]
    assert _cycles({"a": ["b"], "b": []}) == []
