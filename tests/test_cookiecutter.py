"""Plain cookiecutter users, with no kata CLI, get the same project and the same refusals."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COOKIECUTTER = str(Path(sys.executable).parent / "cookiecutter")


def cookiecutter(output: Path, *answers: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [COOKIECUTTER, str(ROOT), "--no-input", "-o", str(output), *answers],
        capture_output=True,
        text=True,
        check=False,
    )


def test_plain_cookiecutter_renders_with_answers_on_the_command_line(tmp_path: Path) -> None:
    done = cookiecutter(tmp_path, "pattern=web_single", "project_name=Fraud Scorer")
    assert done.returncode == 0, done.stderr
    project = tmp_path / "fraud-scorer"
    assert (project / "Dockerfile").is_file()
    assert 'project_name: "Fraud Scorer"' in (project / ".kata-answers.yml").read_text("utf-8")
    assert "Next steps" in done.stdout


def test_a_proxy_pattern_keeps_its_own_role_and_the_shared_core_only(tmp_path: Path) -> None:
    done = cookiecutter(tmp_path, "pattern=serial_microservice")
    assert done.returncode == 0, done.stderr
    project = tmp_path / "iris-classifier"
    assert (project / "app" / "proxy" / "serial" / "chain.py").is_file()
    assert (project / "app" / "proxy" / "backends.py").is_file()
    assert (project / "tests" / "proxy" / "serial" / "test_serial.py").is_file()
    for pruned in ("app/proxy/gateway", "app/proxy/parallel", "app/preprocess/app.py"):
        assert not (project / pruned).exists(), pruned
    assert "SERIAL_PROXY_STEPS: step-1=http://step-1:8000" in (project / "compose.yaml").read_text()


def test_the_hook_refuses_a_bad_slug_with_one_line_and_leaves_nothing(tmp_path: Path) -> None:
    done = cookiecutter(tmp_path, "project_slug=Fraud_Scorer")
    assert done.returncode != 0
    refusals = [line for line in done.stderr.splitlines() if line.startswith("kata: ")]
    assert refusals == [
        "kata: invalid answer: project_slug: 'Fraud_Scorer' is not valid; use 1-40 lowercase "
        "letters, digits and hyphens, starting with a letter and not ending with a hyphen "
        "(e.g. 'fraud-scorer')"
    ]
    assert list(tmp_path.iterdir()) == []


def test_cookiecutter_itself_refuses_a_pattern_outside_its_choices(tmp_path: Path) -> None:
    # cookiecutter validates choice answers before any hook runs, so the message is its own.
    done = cookiecutter(tmp_path, "pattern=inference_template")
    assert done.returncode != 0
    assert "inference_template provided for choice variable pattern" in done.stderr
    assert list(tmp_path.iterdir()) == []
