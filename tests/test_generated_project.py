"""Each offered combination, rendered and installed into a fresh virtual environment,
passes its own ``make lint`` and ``make test``: the promise users judge Kata by."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from generator import render_project, resolve_answers
from tests.matrix import CATALOGUE

OUTPUT_TAIL = 6000


def run(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    output = (done.stdout + done.stderr)[-OUTPUT_TAIL:]
    assert done.returncode == 0, f"{' '.join(command)} failed in {cwd}:\n{output}"
    return time.perf_counter() - started


def fresh_venv_env(venv: Path) -> dict[str, str]:
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env["VIRTUAL_ENV"] = str(venv)
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
    # The generated tests start servers on free ports; keep their output readable here.
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


@pytest.mark.project
def test_generated_project_passes_its_own_lint_and_tests(
    combination: dict[str, str], tmp_path: Path
) -> None:
    project = render_project(resolve_answers(CATALOGUE, combination), tmp_path).project_dir
    env = fresh_venv_env(tmp_path / "venv")
    timings = {target: run(["make", target], project, env) for target in ("install", "lint", "test")}
    print(", ".join(f"make {target}: {seconds:.1f} s" for target, seconds in timings.items()))
