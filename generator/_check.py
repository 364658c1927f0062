"""Static checks a generated project must pass: Kata runs them on every render in its
tests, and ``kata check DIR`` runs them on a project its user has changed.

Each check shells out to the tool that owns the rule (ruff, hadolint, check-jsonschema,
kubernetes-validate) rather than re-implementing it. A missing tool is a failed check
with the install hint, never a silent skip.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

KUBERNETES_VERSION = "1.34.0"
LEFTOVER_JINJA = re.compile(r"\{\{-?\s*cookiecutter|\{%|%\}|\{#")
TEXT_SUFFIXES = {".py", ".md", ".toml", ".yml", ".yaml", ".txt", ".cfg", ".json", ".example"}
TEXT_NAMES = {"Dockerfile", "Makefile", ".dockerignore", ".gitignore"}


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str


def run_checks(project_dir: Path) -> list[CheckResult]:
    """Run every check on ``project_dir`` and return all results (failures included)."""
    return [check(project_dir) for check in CHECKS]


def check_no_leftover_jinja(project_dir: Path) -> CheckResult:
    offenders = [
        str(path.relative_to(project_dir))
        for path in _text_files(project_dir)
        if LEFTOVER_JINJA.search(path.read_text(encoding="utf-8"))
    ]
    return CheckResult("no template syntax left", not offenders, ", ".join(offenders))


def check_config_files_parse(project_dir: Path) -> CheckResult:
    problems = []
    for path in _text_files(project_dir):
        try:
            if path.suffix in {".yml", ".yaml"}:
                list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
            elif path.suffix == ".toml":
                tomllib.loads(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, tomllib.TOMLDecodeError) as error:
            problems.append(f"{path.relative_to(project_dir)}: {error}")
    return CheckResult("YAML and TOML parse", not problems, "\n".join(problems))


def check_ruff(project_dir: Path) -> CheckResult:
    return _tool("ruff", project_dir, ["check", "--no-cache", "."])


def check_dockerfile(project_dir: Path) -> CheckResult:
    return _tool("hadolint", project_dir, ["Dockerfile"])


def check_compose(project_dir: Path) -> CheckResult:
    args = ["--builtin-schema", "vendor.compose-spec", "compose.yaml"]
    return _tool("check-jsonschema", project_dir, args, name="compose.yaml schema")


def check_ci_workflow(project_dir: Path) -> CheckResult:
    workflows = sorted(str(p.relative_to(project_dir)) for p in _workflows(project_dir))
    args = ["--builtin-schema", "vendor.github-workflows", *workflows]
    return _tool("check-jsonschema", project_dir, args, name="CI workflow schema")


def check_kubernetes(project_dir: Path) -> CheckResult:
    k8s = project_dir / "deploy" / "k8s"
    kustomization = yaml.safe_load((k8s / "kustomization.yaml").read_text(encoding="utf-8"))
    missing = [name for name in kustomization["resources"] if not (k8s / name).is_file()]
    if missing:
        return CheckResult("kubernetes manifests", False, f"missing resources: {missing}")
    args = ["--strict", "--kubernetes-version", KUBERNETES_VERSION, *kustomization["resources"]]
    return _tool("kubernetes-validate", k8s, args, name="kubernetes manifests")


def _tool(command: str, cwd: Path, args: list[str], *, name: str | None = None) -> CheckResult:
    name = name or command
    executable = _find_executable(command)
    if executable is None:
        return CheckResult(name, False, f"{command} not found: pip install 'kata[check]'")
    done = subprocess.run([executable, *args], cwd=cwd, capture_output=True, text=True, check=False)
    return CheckResult(name, done.returncode == 0, (done.stdout + done.stderr).strip())


def _find_executable(command: str) -> str | None:
    """Prefer the tool installed beside this Python (the venv Kata runs in)."""
    beside_python = Path(sys.executable).parent / command
    return str(beside_python) if beside_python.is_file() else shutil.which(command)


def _text_files(project_dir: Path) -> list[Path]:
    return sorted(
        path
        for path in project_dir.rglob("*")
        if path.is_file() and (path.suffix in TEXT_SUFFIXES or path.name in TEXT_NAMES)
    )


def _workflows(project_dir: Path) -> list[Path]:
    return sorted((project_dir / ".github" / "workflows").glob("*.y*ml"))


CHECKS: tuple[Callable[[Path], CheckResult], ...] = (
    check_no_leftover_jinja,
    check_config_files_parse,
    check_ruff,
    check_dockerfile,
    check_compose,
    check_ci_workflow,
    check_kubernetes,
)
