"""The lock files agree with pyproject.toml, and the environment under test is the lock.

`make lock` writes requirements/runtime.txt (the package's dependencies) and
requirements/dev.txt (with the `dev` extra) from pyproject.toml's ranges; `make venv`
installs requirements/dev.txt exactly. A dependency added to pyproject.toml without
`make lock`, or a lock edited by hand past a range, fails here rather than on a user's
machine next month.
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


def read_pins(path: Path) -> dict[str, Version]:
    """Package name -> pinned version; every pin must carry at least one hash."""
    pins: dict[str, Version] = {}
    text = path.read_text(encoding="utf-8")
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        match = PIN.match(block)
        if match is None:
            continue
        name = canonicalize_name(match.group(1))
        assert "--hash=sha256:" in block, f"{path.name}: {name} has no hash"
        pins[name] = Version(match.group(2))
    return pins


def pyproject_requirements(extra: str | None) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    specs = list(project["dependencies"])
    if extra is not None:
        specs += project["optional-dependencies"][extra]
    return [Requirement(spec) for spec in specs]


def unmet(requirements: list[Requirement], pins: dict[str, Version]) -> list[str]:
    """Requirements the lock lacks or pins outside their range (local labels allowed)."""
    problems = []
    for req in requirements:
        pinned = pins.get(canonicalize_name(req.name))
        if pinned is None:
            problems.append(f"{req.name}: not in the lock")
        elif not req.specifier.contains(pinned, prereleases=True):
            problems.append(f"{req.name}: locked {pinned}, pyproject asks {req.specifier}")
    return problems


@pytest.mark.parametrize(("lock", "extra"), [("runtime.txt", None), ("dev.txt", "dev")])
def test_lock_satisfies_pyproject(lock: str, extra: str | None) -> None:
    pins = read_pins(ROOT / "requirements" / lock)
    assert unmet(pyproject_requirements(extra), pins) == []


def test_runtime_and_dev_locks_agree() -> None:
    runtime = read_pins(ROOT / "requirements" / "runtime.txt")
    dev = read_pins(ROOT / "requirements" / "dev.txt")
    assert set(runtime) <= set(dev)
    assert {n: v for n, v in runtime.items() if dev[n] != v} == {}


def test_torch_is_the_cpu_wheel() -> None:
    torch = read_pins(ROOT / "requirements" / "runtime.txt")["torch"]
    assert torch.local == "cpu", f"torch {torch} would pull the CUDA build"


def test_a_range_outside_the_lock_is_reported() -> None:
    pins = {"lxml": Version("6.2.0"), "torch": Version("2.13.0+cpu")}
    wanted = [Requirement("lxml>=7"), Requirement("torch>=2.1"), Requirement("rich>=13")]
    assert unmet(wanted, pins) == [
        "lxml: locked 6.2.0, pyproject asks >=7",
        "rich: not in the lock",
    ]


def test_environment_is_the_dev_lock() -> None:
    """What `make venv` installed is exactly what requirements/dev.txt pins."""
    pins = read_pins(ROOT / "requirements" / "dev.txt")
    installed = {
        canonicalize_name(d.metadata["Name"]): Version(d.version) for d in metadata.distributions()
    }
    if "papersift" not in installed:
        pytest.skip("not running in the project's environment (make venv)")
    drift = {n: f"{installed.get(n)} != {v}" for n, v in pins.items() if installed.get(n) != v}
    assert drift == {}, "the environment differs from the lock: run `make venv`"
