"""What docs/install.md takes out of the bundle (/opt/kiosk/deploy/..., /opt/kiosk/docs/install.md) is
what kiosk.spec puts at the top of the bundle's folder, and scripts/package archives that folder under
the name install.md unpacks. Cheap: kiosk.spec is read, not built (scripts/test builds it in CI)."""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INSTALL = ROOT / "docs" / "install.md"


def _bundle_top() -> list[str]:
    """kiosk.spec's BUNDLE_TOP: what it copies to the top of the folder, beside the program."""
    tree = ast.parse((ROOT / "kiosk.spec").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["BUNDLE_TOP"]:
            value = ast.literal_eval(node.value)
            assert isinstance(value, list) and all(isinstance(name, str) for name in value)
            return value
    raise AssertionError("kiosk.spec has no BUNDLE_TOP list")


def _in_bundle(relative: str) -> Path | None:
    """The source file that the bundle carries at /opt/kiosk/<relative>, or None."""
    for name in _bundle_top():
        if relative == name or relative.startswith(name.rstrip("/") + "/"):
            return ROOT / relative
    return None


def _paths_under_opt_kiosk(text: str) -> set[str]:
    return {match.rstrip(".,:;)`'\"") for match in re.findall(r"/opt/kiosk/([\w./-]+)", text)}


def test_every_entry_exists_in_the_tree() -> None:
    assert _bundle_top(), "BUNDLE_TOP is empty"
    for name in _bundle_top():
        assert (ROOT / name).exists(), f"kiosk.spec BUNDLE_TOP names {name}, which is not in the tree"


def test_the_spec_copies_them_to_the_top_after_collect() -> None:
    text = (ROOT / "kiosk.spec").read_text(encoding="utf-8")
    collect, copy = text.find("coll = COLLECT("), text.find("_copy_to_top(coll.name)")
    assert 0 <= collect < copy, "kiosk.spec must copy BUNDLE_TOP into COLLECT's folder once COLLECT has built it"


def test_what_install_md_takes_from_the_bundle_is_in_it() -> None:
    wanted = _paths_under_opt_kiosk(INSTALL.read_text(encoding="utf-8"))
    wanted.discard("kiosk")  # the program itself
    assert {"deploy/kiosk.toml", "deploy/systemd/kiosk.service"} <= wanted  # the test reads what it should
    for relative in sorted(wanted):
        source = _in_bundle(relative)
        assert source is not None, f"install.md uses /opt/kiosk/{relative}, which kiosk.spec does not ship"
        assert source.is_file(), f"install.md uses /opt/kiosk/{relative}: {source} is missing"


def test_the_units_documentation_is_in_the_bundle() -> None:
    for unit in sorted((ROOT / "deploy" / "systemd").glob("*.service")):
        for line in unit.read_text(encoding="utf-8").splitlines():
            if line.startswith("Documentation=file:///opt/kiosk/"):
                relative = line.removeprefix("Documentation=file:///opt/kiosk/").strip()
                source = _in_bundle(relative)
                assert source is not None and source.is_file(), f"{unit.name}: {line} is not in the bundle"


def test_the_package_script_makes_the_archive_install_md_unpacks() -> None:
    script = ROOT / "scripts" / "package"
    assert os.access(script, os.X_OK), "scripts/package must be executable"
    text = script.read_text(encoding="utf-8")
    assert 'kiosk-linux-$(uname -m).tar.zst"' in text
    assert "tar -C build/dist" in text and " kiosk\n" in text  # the folder, as kiosk/ (/opt/kiosk after -C /opt)
    assert "tar -C /opt -xf kiosk-linux-x86_64.tar.zst" in INSTALL.read_text(encoding="utf-8")
