"""Shared environments per dependency set (tests/environments.py): a set is what a project's
`make install` installs, and a layered environment sees its shared one's packages behind
its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.environments import (
    READY_MARK,
    DependencySet,
    create_layered_venv,
    dependency_set,
    largest_installed_subset,
    read_mark,
    site_packages,
)

PYPROJECT = """\
[project]
name = "probe"
version = "0.1.0"
dependencies = ["fastapi==0.165.0"]

[project.optional-dependencies]
train = ["scikit-learn==1.9.1"]
dev = ["pytest==9.2.0"]
database = ["sqlalchemy==2.1.9"]
load = ["locust==2.47.0"]
"""


def project(tmp_path: Path, extras: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    makefile = (
        f"install:\n\t$(PYTHON) -m pip install -e '.[{extras}]'\n\t$(MAKE) model\n"
        "model:\n\t$(PYTHON) -m app.training --out models\n"
    )
    (tmp_path / "Makefile").write_text(makefile, encoding="utf-8")
    return tmp_path


def test_a_set_is_the_runtime_and_the_extras_make_install_names(tmp_path: Path) -> None:
    found = dependency_set(project(tmp_path, "train,dev,database"))
    assert found.requirements == (
        "fastapi==0.165.0",
        "pytest==9.2.0",
        "scikit-learn==1.9.1",
        "sqlalchemy==2.1.9",
    )
    assert dependency_set(project(tmp_path, "train,dev")).key != found.key


def mark(root: Path, name: str, requirements: list[str]) -> Path:
    venv = root / name
    venv.mkdir(parents=True)
    record = {"requirements": requirements, "layers": [str(venv)]}
    (venv / READY_MARK).write_text(json.dumps(record), encoding="utf-8")
    return venv


def test_a_set_layers_over_the_largest_installed_set_inside_it(tmp_path: Path) -> None:
    mark(tmp_path, "runtime", ["a==1"])
    runtime_and_train = mark(tmp_path, "runtime-train", ["a==1", "b==1"])
    mark(tmp_path, "other-version", ["a==1", "b==2", "c==1"])
    mark(tmp_path, "larger", ["a==1", "b==1", "d==1", "e==1"])
    (tmp_path / "being-installed").mkdir()  # no mark yet: not a candidate

    wanted = DependencySet(("a==1", "b==1", "c==1"))
    assert largest_installed_subset(tmp_path, wanted) == runtime_and_train
    assert largest_installed_subset(tmp_path, DependencySet(("z==1",))) is None


def bare_layer(root: Path, name: str, base: Path | None = None) -> Path:
    """A shared environment with no packages (not even pip), marked installed."""
    venv = root / name
    if base is None:
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
        layers = [str(venv)]
    else:
        create_layered_venv(venv, base)
        layers = [str(venv), *read_mark(base)["layers"]]
    record = {"requirements": [], "layers": layers}
    (venv / READY_MARK).write_text(json.dumps(record), encoding="utf-8")
    return venv


def probe(venv: Path, env: dict[str, str], code: str) -> str:
    python = str(venv / "bin" / "python")
    done = subprocess.run(
        [python, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_layered_environment_sees_every_layer_below_behind_its_own(tmp_path: Path) -> None:
    bottom = bare_layer(tmp_path, "bottom")
    middle = bare_layer(tmp_path, "middle", bottom)
    (site_packages(bottom) / "kata_probe_bottom.py").write_text("WHERE = 'bottom'\n")
    (site_packages(bottom) / "kata_probe_both.py").write_text("WHERE = 'bottom'\n")
    (site_packages(middle) / "kata_probe_middle.py").write_text("WHERE = 'middle'\n")

    own = tmp_path / "own"
    env = create_layered_venv(own, middle)
    (site_packages(own) / "kata_probe_both.py").write_text("WHERE = 'own'\n")

    code = (
        "import kata_probe_bottom as b, kata_probe_middle as m, kata_probe_both as o; "
        "print(b.WHERE, m.WHERE, o.WHERE)"
    )
    assert probe(own, env, code).split() == ["bottom", "middle", "own"]
    bins = env["PATH"].split(os.pathsep)[:3]
    assert bins == [str(own / "bin"), str(middle / "bin"), str(bottom / "bin")]


def test_pip_build_isolation_can_drop_the_layers(tmp_path: Path) -> None:
    """pip's isolated build environment reads the environment's site-packages again with a
    fresh set of known paths and drops every path that reading adds (pip's build_env.py):
    the layers must be among them, or a project's build would see the shared packages."""
    bottom = bare_layer(tmp_path, "bottom")
    middle = bare_layer(tmp_path, "middle", bottom)
    own = tmp_path / "own"
    env = create_layered_venv(own, middle)
    code = (
        "import json, site, sys; before = len(sys.path); "
        f"site.addsitedir({str(site_packages(own))!r}, known_paths=set()); "
        "print(json.dumps(sys.path[before:]))"
    )
    added = json.loads(probe(own, env, code))
    assert str(site_packages(middle)) in added
    assert str(site_packages(bottom)) in added
