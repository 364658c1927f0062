"""One virtual environment per dependency set, shared by every combination that declares it.

A generated project's ``make install`` installs its pyproject.toml's dependencies and the
extras its Makefile names (``.[train,dev]``, plus ``database`` where a role reads records).
Most combinations declare one of a dozen such sets, so installing each set once and
sharing it is most of what a fresh environment per combination cost.

Each combination still gets a fresh environment of its own and runs its own, unchanged
``make install`` in it: the environment is *layered* over its set's shared one (a ``.pth``
line adds the shared site-packages behind its own), so pip finds every declared requirement
already satisfied and installs only the project itself, editable. A requirement the project
needs but does not declare is no more present than in a fresh environment: the shared one
holds exactly the declared set. What a combination installs on top (its own package, and
anything its set lacked) lands in its own environment, never in the shared one.

Shared environments are layered the same way over one another (a set over the largest
installed set inside it), so a package common to several sets is installed once.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import subprocess
import sys
import sysconfig
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

INSTALL_LINE = re.compile(r"pip install -e '\.\[(?P<extras>[^\]]*)\]'")
READY_MARK = "kata-shared-environment.json"
"""Written into a shared environment once its set is installed: its presence means done."""


@dataclass(frozen=True)
class DependencySet:
    """The requirements a project's ``make install`` installs from PyPI."""

    requirements: tuple[str, ...]

    @property
    def key(self) -> str:
        digest = hashlib.sha256("\n".join(self.requirements).encode()).hexdigest()
        return digest[:16]


def dependency_set(project: Path) -> DependencySet:
    """Read from the project itself: the extras its ``make install`` names (``make -n``)
    and what pyproject.toml lists for the runtime and each of those extras."""
    plan = subprocess.run(
        ["make", "-n", "install"], cwd=project, capture_output=True, text=True, check=True
    ).stdout
    match = INSTALL_LINE.search(plan)
    if match is None:
        raise AssertionError(f"{project}: make install runs no `pip install -e '.[...]'`")
    extras = [extra.strip() for extra in match["extras"].split(",") if extra.strip()]
    declared = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    requirements = list(declared["project"]["dependencies"])
    for extra in extras:
        requirements += declared["project"]["optional-dependencies"][extra]
    return DependencySet(tuple(sorted(set(requirements))))


def install_env(venv: Path) -> dict[str, str]:
    """The environment a command sees with ``venv`` active (as `source bin/activate` sets)."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env["VIRTUAL_ENV"] = str(venv)
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    # Byte-compiling every installed file at install (torch's alone costs 25 s) is wasted on
    # files no test imports: pip skips it and Python writes the .pyc of what is imported, as
    # it is imported. (Not PIP_NO_COMPILE=1: pip reads a --no-* variable's value as the
    # option's own value, so that one keeps compiling.)
    env["PIP_COMPILE"] = "0"
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


@dataclass(frozen=True)
class SharedEnvironment:
    venv: Path
    seconds: float
    """What installing it took; 0 where another combination had installed it already."""


def shared_environment(root: Path, dependencies: DependencySet) -> SharedEnvironment:
    """The shared environment of ``dependencies`` under ``root``, installed on first use.

    It is layered in turn over the largest shared environment already installed whose set is
    part of its own, so it installs only what that one lacks: torch once, say, not once per
    pattern that trains a network. Test workers run side by side: a lock per set makes the
    second one wait for the first one's install instead of installing the same set again.
    """
    venv = root / dependencies.key
    with _locked(root / f"{dependencies.key}.lock"):
        if not (venv / READY_MARK).is_file():
            started = time.perf_counter()
            _install(venv, dependencies, largest_installed_subset(root, dependencies))
            seconds = time.perf_counter() - started
        else:
            seconds = 0.0
    return SharedEnvironment(venv, seconds)


def _install(venv: Path, dependencies: DependencySet, base: Path | None) -> None:
    layers = [str(venv)]
    if base is None:
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        env = install_env(venv)
    else:
        env = layered_venv(venv, base)
        layers += _read_mark(base)["layers"]
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    done = subprocess.run(
        [*pip, *dependencies.requirements], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"installing {dependencies.requirements}:\n{done.stderr}"
    mark = {"requirements": dependencies.requirements, "layers": layers}
    # Renamed into place: another set's install reads marks without this set's lock.
    partial = venv / f"{READY_MARK}.partial"
    partial.write_text(json.dumps(mark, indent=1), encoding="utf-8")
    partial.replace(venv / READY_MARK)


def _read_mark(venv: Path) -> dict[str, Any]:
    mark: dict[str, Any] = json.loads((venv / READY_MARK).read_text(encoding="utf-8"))
    return mark


def largest_installed_subset(root: Path, dependencies: DependencySet) -> Path | None:
    wanted = set(dependencies.requirements)
    candidates = [
        (len(requirements), mark.parent)
        for mark in root.glob(f"*/{READY_MARK}")
        if (requirements := set(_read_mark(mark.parent)["requirements"])) <= wanted
    ]
    return max(candidates)[1] if candidates else None


def layered_venv(venv: Path, shared: Path) -> dict[str, str]:
    """A fresh environment at ``venv`` that sees ``shared``'s packages (and those of the
    environments ``shared`` is layered over) behind its own; returns the environment
    variables of a shell with it active.

    ``site.addsitedir`` (not a plain path line) so the shared site-packages' own ``.pth``
    files are processed too, the next layer's link among them. The shared ``bin`` folders
    follow the fresh one on PATH, for the console scripts of shared packages.
    """
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    link = site_packages(venv) / "_kata_shared_environment.pth"
    link.write_text(
        f"import site; site.addsitedir({str(site_packages(shared))!r})\n", encoding="utf-8"
    )
    env = install_env(venv)
    below = [shared, *_layers_below(shared)]
    env["PATH"] = os.pathsep.join(
        [str(venv / "bin"), *(str(layer / "bin") for layer in below), os.environ["PATH"]]
    )
    return env


def _layers_below(venv: Path) -> list[Path]:
    if not (venv / READY_MARK).is_file():  # being installed: its mark comes last
        return []
    return [Path(path) for path in _read_mark(venv)["layers"][1:]]


def site_packages(venv: Path) -> Path:
    relative = Path(sysconfig.get_path("purelib")).relative_to(sys.prefix)
    return venv / relative


@contextmanager
def _locked(lock_file: Path) -> Iterator[None]:
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with lock_file.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
