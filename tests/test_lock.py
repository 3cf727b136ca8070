"""The lock file every install uses pins every dependency pyproject.toml names, within its bounds."""

from __future__ import annotations

import re
import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from agency.config import ROOT

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.M)


def locked() -> dict[str, Version]:
    text = (ROOT / "requirements.lock").read_text()
    return {canonicalize_name(name): Version(version) for name, version in PIN.findall(text)}


def test_every_dependency_is_locked_within_its_bounds_with_hashes():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["dev"]]
    pins = locked()
    problems = []
    for requirement in wanted:
        version = pins.get(canonicalize_name(requirement.name))
        if version is None:
            problems.append(f"{requirement.name} is not in requirements.lock")
        elif not requirement.specifier.contains(version, prereleases=True):
            problems.append(f"{requirement.name}=={version} is outside {requirement.specifier}")
    assert not problems, "run `make lock` after changing pyproject.toml:\n  " + "\n  ".join(problems)
    # Each pin carries its hashes: pip installs it with --require-hashes.
    blocks = re.split(r"\n(?=[A-Za-z0-9])", (ROOT / "requirements.lock").read_text())
    unhashed = [b.split()[0] for b in blocks if "==" in b.split("\n")[0] and "--hash=sha256:" not in b]
    assert not unhashed, f"pins without hashes: {unhashed}"
