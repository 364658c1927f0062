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
import tempfile
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
    """Render each kustomization (the base and any overlay, such as a batch project's
    backfill Job) as kubectl would apply it, then validate every object."""
    name = "kubernetes manifests"
    kubectl = _find_executable("kubectl")
    if kubectl is None:
        return CheckResult(name, False, "kubectl not found: pip install 'kata[check]'")
    roots = sorted(p.parent for p in (project_dir / "deploy" / "k8s").rglob("kustomization.yaml"))
    if not roots:
        return CheckResult(name, False, "no kustomization.yaml under deploy/k8s")
    for root in roots:
        result = _check_kustomization(kubectl, project_dir, root)
        if not result.ok:
            where = root.relative_to(project_dir)
            return CheckResult(name, False, f"{where}: {result.detail}")
    return CheckResult(name, True, "")


def _check_kustomization(kubectl: str, project_dir: Path, root: Path) -> CheckResult:
    name = "kubernetes manifests"
    rendered = subprocess.run(
        [kubectl, "kustomize", str(root)], capture_output=True, text=True, check=False
    )
    if rendered.returncode != 0:
        return CheckResult(name, False, f"kubectl kustomize failed: {rendered.stderr.strip()}")
    with tempfile.TemporaryDirectory(prefix="kata-k8s-") as scratch:
        manifest = Path(scratch) / "kustomized.yaml"
        manifest.write_text(rendered.stdout, encoding="utf-8")
        args = ["--strict", "--kubernetes-version", KUBERNETES_VERSION, str(manifest)]
        return _tool("kubernetes-validate", project_dir, args, name=name)


def check_dockerfile_conventions(project_dir: Path) -> CheckResult:
    """What hadolint does not enforce: the conventions every Kata image follows."""
    instructions = _instructions((project_dir / "Dockerfile").read_text(encoding="utf-8"))
    users = [i.split()[1].split(":")[0] for i in instructions if i.startswith("USER ")]
    problems = []
    if sum(1 for i in instructions if i.startswith("FROM ")) < 2:  # noqa: PLR2004
        problems.append("not multi-stage")
    if not users or users[-1] in {"root", "0"}:
        problems.append("the final stage runs as root (no USER, or USER root)")
    if not any(i.startswith("HEALTHCHECK ") for i in instructions):
        problems.append("no HEALTHCHECK")
    if not (project_dir / ".dockerignore").is_file():
        problems.append("no .dockerignore")
    for label, found in (
        ("unpinned base images", _unpinned_bases(instructions)),
        ("secret-like ENV/ARG", _secrets(instructions)),
        ("unpinned dependencies in pyproject.toml", _unpinned_requirements(project_dir)),
    ):
        if found:
            problems.append(f"{label}: {found}")
    return CheckResult("Dockerfile conventions", not problems, "; ".join(problems))


def _instructions(dockerfile: str) -> list[str]:
    """Logical Dockerfile instructions: continuations joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", dockerfile)
    lines = (line.strip() for line in joined.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _unpinned_bases(instructions: list[str]) -> list[str]:
    stages = {i.split()[-1] for i in instructions if i.startswith("FROM ") and " AS " in i}
    bases = [i.split()[1] for i in instructions if i.startswith("FROM ")]
    return [b for b in bases if b not in stages and (":" not in b or b.endswith(":latest"))]


def _secrets(instructions: list[str]) -> list[str]:
    secret = re.compile(r"(PASSWORD|SECRET|TOKEN|API_KEY|PRIVATE_KEY)", re.IGNORECASE)
    return [i for i in instructions if i.startswith(("ENV ", "ARG ")) and secret.search(i)]


def _unpinned_requirements(project_dir: Path) -> list[str]:
    project = tomllib.loads((project_dir / "pyproject.toml").read_text(encoding="utf-8"))
    groups = [project["project"]["dependencies"]]
    groups += project["project"].get("optional-dependencies", {}).values()
    return [req for group in groups for req in group if "==" not in req]


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
    check_dockerfile_conventions,
    check_compose,
    check_ci_workflow,
    check_kubernetes,
)
