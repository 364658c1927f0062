"""The repository keeps its promises to a new user: the README's commands are the real ones,
and the wheel carries the template so `pip install .` gives a working `kata`."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.matrix import CATALOGUE

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("```bash\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip()]


def test_ci_runs_exactly_the_readme_test_command() -> None:
    ci_lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()
    assert ci_lines[-1] == readme_commands()[1]


def test_readme_table_lists_every_pattern_with_its_status() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for pattern in CATALOGUE.patterns.values():
        status = "available" if pattern.implemented else "planned"
        assert f"| `{pattern.cli_name}` | {pattern.title} | {status} |" in readme


@pytest.mark.project
def test_the_wheel_carries_the_template_and_generates_a_project(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    wheel = next(tmp_path.glob("kata-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "generator/_template/cookiecutter.json" in names
    assert "generator/_template/hooks/pre_gen_project.py" in names
    assert any(
        n.startswith("generator/_template/{{cookiecutter.project_slug}}/app/") for n in names
    )
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)]
    subprocess.run(pip, check=True, capture_output=True)
    done = subprocess.run(
        [str(venv / "bin" / "kata"), "new", "--no-input", "-o", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "iris-classifier" / "app" / "model").is_dir()


@pytest.mark.parametrize(
    "command",
    [["ruff", "check", "."], ["ruff", "format", "--check", "."], ["mypy"]],
    ids=["ruff-check", "ruff-format", "mypy-strict"],
)
def test_kata_itself_is_lint_and_type_clean(command: list[str]) -> None:
    tool = str(Path(sys.executable).parent / command[0])
    done = subprocess.run(
        [tool, *command[1:]], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
