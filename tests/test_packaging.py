"""The package installs under its own import names and nothing else.

Why: the folders sit at the repository root (reference/, fast/, ...) but must
import as altledger.reference, altledger.fast, ...; a subpackage forgotten in
pyproject.toml works in an editable install and is silently missing from a
wheel.  These tests catch both mistakes.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

PACKAGE_ROOTS = ["reference", "fast", "conformance", "proofs", "tla"]


def declared_packages() -> set[str]:
    data = tomllib.loads((REPO / "pyproject.toml").read_text())
    return set(data["tool"]["setuptools"]["packages"])


def package_dirs_on_disk() -> set[str]:
    found = set()
    for root in PACKAGE_ROOTS:
        for init in (REPO / root).rglob("__init__.py"):
            rel = init.parent.relative_to(REPO).parts
            found.add(".".join(("altledger",) + rel))
    return found


def test_every_package_directory_is_declared():
    missing = package_dirs_on_disk() - declared_packages()
    assert not missing, f"add these to [tool.setuptools] packages in pyproject.toml: {sorted(missing)}"


def test_every_declared_package_exists():
    stale = {p for p in declared_packages() if p != "altledger"} - package_dirs_on_disk()
    assert not stale, f"declared in pyproject.toml but not on disk: {sorted(stale)}"


def test_wheel_installs_only_altledger(tmp_path):
    """A regular (non-editable) build holds altledger/... and nothing at top level."""
    # Build from a copy of the tracked files: setuptools writes build/ into the
    # source tree, and a wheel must not depend on untracked files anyway.
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, check=True,
                             capture_output=True).stdout.decode().split("\0")
    source = tmp_path / "src"
    for name in filter(None, tracked):
        if (REPO / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    wheels = tmp_path / "wheels"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(source)],
                           capture_output=True, text=True)
    assert build.returncode == 0, f"building the wheel failed:\n{build.stderr[-3000:]}"
    (wheel,) = wheels.glob("altledger-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        tops = {name.split("/")[0] for name in zf.namelist()}
        names = set(zf.namelist())
    assert all(t == "altledger" or t.endswith(".dist-info") for t in tops), \
        f"wheel installs top-level names other than altledger: {sorted(tops)}"
    assert "altledger/__main__.py" in names
    for root in PACKAGE_ROOTS:
        assert f"altledger/{root}/__init__.py" in names, f"{root} missing from the wheel"


def test_python_dash_m_and_console_script_list_commands():
    out = subprocess.run([sys.executable, "-m", "altledger", "--help"], capture_output=True, text=True, check=True)
    assert "verify" in out.stdout and "tlc" in out.stdout


def test_no_test_module_imports_a_conftest_by_name():
    """pytest loads ``tests/conftest.py`` and ``tests/twopc/conftest.py`` both; ``from conftest
    import …`` in a test module gets whichever of them was imported first, so running some test
    folders together failed at collection.  Test modules find the repository from their own path."""
    offenders = [f"{path.relative_to(REPO)}:{number}"
                 for path in sorted((REPO / "tests").rglob("*.py"))
                 for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if line.split("#")[0].split()[:2] in (["from", "conftest"], ["import", "conftest"])]
    assert not offenders, f"test modules importing a conftest by name: {offenders}"
