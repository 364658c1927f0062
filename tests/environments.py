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
holds the declared set and what it pulls in. What a combination installs on top (its own
package, and anything its set lacked) lands in its own environment, never in the shared one.

Shared environments are layered the same way over one another (a set over the largest
installed set inside it), so a package common to several sets is installed once. Which
smaller set a set lands on depends on which finished first; every declared requirement is
pinned, and pip keeps a dependency a lower layer already satisfies as it would keep one
installed before.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

INSTALL_LINE = re.compile(r"pip install -e '\.\[(?P<extras>[^\]]*)\]'")
READY_MARK = "kata-shared-environment.json"
"""Written into a shared environment once its set is installed: its presence means done."""
LINK_FILE = "_kata_shared_environment.pth"
# `known_paths` is the set of the `site` call reading this file. Passing it on keeps the
# layer removable by whoever reads site-packages with a set of its own: pip's isolated build
# environments do, and drop every path that reading added, so a build never sees the layer.
LINK_LINE = "import site; site.addsitedir({path!r}, known_paths)\n"


class Mark(TypedDict):
    requirements: list[str]
    layers: list[str]
    """The environment itself, then each shared one below it, top first."""


@dataclass(frozen=True)
class DependencySet:
    """The requirements a project's ``make install`` installs from PyPI."""

    requirements: tuple[str, ...]

    @property
    def key(self) -> str:
        """A folder name of its own."""
        digest = hashlib.sha256("\n".join(self.requirements).encode()).hexdigest()
        return digest[:16]


def dependency_set(project: Path) -> DependencySet:
    """Read from the project itself: the extras its ``make install`` names (``make -n``)
    and what pyproject.toml lists for the runtime and each of those extras."""
    plan = subprocess.run(
        ["make", "-n", "install"], cwd=project, capture_output=True, text=True, check=False
    )
    assert plan.returncode == 0, f"make -n install in {project}:\n{plan.stderr}"
    match = INSTALL_LINE.search(plan.stdout)
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
    """A dependency set's shared environment, and what installing it cost this caller."""

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
        if (venv / READY_MARK).is_file():
            return SharedEnvironment(venv, 0.0)
        started = time.perf_counter()
        _install(venv, dependencies, largest_installed_subset(root, dependencies))
        return SharedEnvironment(venv, time.perf_counter() - started)


def _install(venv: Path, dependencies: DependencySet, base: Path | None) -> None:
    shutil.rmtree(venv, ignore_errors=True)  # what a failed install left is not to be trusted
    if base is None:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        env, layers = install_env(venv), [str(venv)]
    else:
        env, layers = create_layered_venv(venv, base), [str(venv), *read_mark(base)["layers"]]
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    done = subprocess.run(
        [*pip, *dependencies.requirements], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"installing {dependencies.requirements}:\n{done.stderr}"
    mark: Mark = {"requirements": list(dependencies.requirements), "layers": layers}
    # Renamed into place: another set's install reads marks without this set's lock.
    partial = venv / f"{READY_MARK}.partial"
    partial.write_text(json.dumps(mark, indent=1), encoding="utf-8")
    partial.replace(venv / READY_MARK)


def read_mark(venv: Path) -> Mark:
    mark: Mark = json.loads((venv / READY_MARK).read_text(encoding="utf-8"))
    return mark


def largest_installed_subset(root: Path, dependencies: DependencySet) -> Path | None:
    """The installed shared environment under ``root`` with the most requirements, all of
    them in ``dependencies``: the one to layer a new environment of ``dependencies`` over."""
    wanted = set(dependencies.requirements)
    candidates = [
        (len(requirements), mark.parent)
        for mark in root.glob(f"*/{READY_MARK}")
        if (requirements := set(read_mark(mark.parent)["requirements"])) <= wanted
    ]
    return max(candidates)[1] if candidates else None


def create_layered_venv(venv: Path, shared: Path) -> dict[str, str]:
    """A fresh environment at ``venv`` that sees the installed shared environment
    ``shared``'s packages (and those of the layers under it) behind its own; returns the
    environment variables of a shell with it active.

    ``site.addsitedir`` (not a plain path line) so the shared site-packages' own ``.pth``
    files are processed too, the next layer's link among them. Created without pip: ``python
    -m pip`` is the layers' pip, the one Python's ``ensurepip`` installs into any fresh
    environment, and installs into this one. The shared ``bin`` folders follow the fresh one
    on PATH, for the console scripts of shared packages.
    """
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    link = LINK_LINE.format(path=str(site_packages(shared)))
    (site_packages(venv) / LINK_FILE).write_text(link, encoding="utf-8")
    env = install_env(venv)
    layers = [venv, *(Path(layer) for layer in read_mark(shared)["layers"])]
    env["PATH"] = os.pathsep.join([*(str(layer / "bin") for layer in layers), os.environ["PATH"]])
    return env


def site_packages(venv: Path) -> Path:
    """Where a virtual environment at ``venv`` keeps its packages."""
    scheme = {"base": str(venv), "platbase": str(venv)}
    return Path(sysconfig.get_path("purelib", scheme="venv", vars=scheme))


@contextmanager
def _locked(lock_file: Path) -> Iterator[None]:
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with lock_file.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
