"""Shared environments per dependency set (tests/environments.py): a set is what a project's
`make install` installs, and a layered environment sees its shared one's packages behind
its own."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.environments import (
    READY_MARK,
    DependencySet,
    dependency_set,
    largest_installed_subset,
    layered_venv,
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


def test_a_layered_environment_sees_the_shared_packages_behind_its_own(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(shared)], check=True)
    (site_packages(shared) / "kata_probe_shared.py").write_text("WHERE = 'shared'\n")
    (site_packages(shared) / "kata_probe_both.py").write_text("WHERE = 'shared'\n")

    env = layered_venv(tmp_path / "own", shared)
    (site_packages(tmp_path / "own") / "kata_probe_both.py").write_text("WHERE = 'own'\n")

    probe = (
        "import kata_probe_both, kata_probe_shared; "
        "print(kata_probe_shared.WHERE, kata_probe_both.WHERE)"
    )
    python = str(tmp_path / "own" / "bin" / "python")
    done = subprocess.run(
        [python, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["shared", "own"]
    assert env["PATH"].split(":")[:2] == [str(tmp_path / "own" / "bin"), str(shared / "bin")]
