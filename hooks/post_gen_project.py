"""Shape the rendered project to its pattern, record the answers, print next steps.

The template holds every file any pattern may need; the catalogue says which service roles
a pattern runs and which files each role owns. One function applies it: files of roles the
pattern does not use are removed, unless a role it does use owns them too, and so are
Kubernetes manifests that render no object for the pattern. Files a model format owns
(its exporter, backend and tests) are removed from projects of the other formats.
Importable as plain Python for the tests (see ``pre_gen_project`` for why the context sits
in a raw string).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

CONTEXT_JSON = r"""{{ cookiecutter | tojson }}"""

ANSWERS_FILE = ".kata-answers.yml"
IMPORTED_MODEL_FILE = Path("model", "model.onnx")
"""Where a model of the user's own lives in the project: committed, the source of truth."""
ANSWERS_HEADER = (
    f"# Kata rendered this project from these answers; replay: kata new --answers {ANSWERS_FILE}"
)


def files_of_unused_roles(project_dir: Path, context: dict[str, Any]) -> list[Path]:
    """Every file owned by a role that the chosen pattern does not run.

    A file several roles share (the proxy core) stays when any role the pattern runs owns it.
    """
    used = {service["role"] for service in context["_patterns"][context["pattern"]]["services"]}
    owned: dict[bool, set[Path]] = {True: set(), False: set()}
    for role, spec in context["_roles"].items():
        for glob in spec["files"]:
            for match in project_dir.glob(glob):
                owned[role in used].update(_files_at(match))
    return sorted(owned[False] - owned[True])


def files_of_unused_model_source(project_dir: Path, context: dict[str, Any]) -> list[Path]:
    """The imported model's own tests, in a project that trains the sample model."""
    if context.get("model_path"):
        return []
    found: set[Path] = set()
    for glob in context["_imported_model"]["files"]:
        for match in project_dir.glob(glob):
            found.update(_files_at(match))
    return sorted(found)


def copy_imported_model(project_dir: Path, context: dict[str, Any]) -> None:
    """Copy the user's model (checked by the pre-generation hook) into the project."""
    if not context.get("model_path"):
        return
    target = project_dir / IMPORTED_MODEL_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(context["model_path"], target)


def files_of_other_formats(project_dir: Path, context: dict[str, Any]) -> list[Path]:
    """Every file owned by a model format other than the chosen one (``_model_formats.*.files``):
    a format's exporter, backend and tests ship only in projects of that format."""
    chosen = context["model_format"]
    other: set[Path] = set()
    for model_format, spec in context["_model_formats"].items():
        if model_format != chosen:
            for glob in spec.get("files", []):
                for match in project_dir.glob(glob):
                    other.update(_files_at(match))
    return sorted(other)


def _files_at(path: Path) -> list[Path]:
    """A matched file, or every file under a matched folder (``app/http/**`` matches folders)."""
    if path.is_dir():
        return [child for child in path.rglob("*") if child.is_file()]
    return [path]


def empty_manifests(project_dir: Path) -> list[Path]:
    """Kubernetes manifests that hold no object for this pattern (no Deployment in a batch
    project, no CronJob in a web one): kustomization.yaml lists only the others."""
    manifests = sorted((project_dir / "deploy" / "k8s").glob("*.yaml"))
    return [path for path in manifests if not _holds_object(path)]


def _holds_object(manifest: Path) -> bool:
    lines = (line.strip() for line in manifest.read_text(encoding="utf-8").splitlines())
    return any(line and not line.startswith("#") and line != "---" for line in lines)


def remove_files(project_dir: Path, files: list[Path]) -> None:
    """Delete ``files`` and any folder they leave empty."""
    for path in files:
        path.unlink()
    for parent in sorted({p.parent for p in files}, key=lambda p: len(p.parts), reverse=True):
        folder = parent
        while folder != project_dir and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent


def answers_to_record(context: dict[str, Any]) -> dict[str, str]:
    """The public answers plus the Kata version: enough to replay the generation."""
    answers = {key: value for key, value in context.items() if not key.startswith("_")}
    answers["_kata_version"] = context["_kata_version"]
    return answers


def write_answers(project_dir: Path, answers: dict[str, str]) -> None:
    lines = [ANSWERS_HEADER]
    # JSON strings are valid YAML scalars, so no YAML library is needed here.
    lines += [f"{key}: {json.dumps(value)}" for key, value in answers.items()]
    (project_dir / ANSWERS_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")


def next_steps(context: dict[str, Any]) -> str:
    front_door = context["_patterns"][context["pattern"]]["services"][0]
    if front_door["port"] is None:  # a job: nothing to serve, something to run
        try_it = ["  make seed      # sample records", "  make batch     # one run; see README.md"]
    else:
        try_it = ["  make run       # then see README.md for curl examples"]
    return "\n".join(
        [
            f"Rendered {context['project_slug']} ({context['pattern']}). Next steps:",
            f"  cd {context['project_slug']}",
            "  make install   # dependencies + "
            + ("imports model/model.onnx" if context.get("model_path") else "trains the model"),
            "  make test",
            *try_it,
        ]
    )


def main() -> int:
    context = json.loads(CONTEXT_JSON)
    project_dir = Path.cwd()
    remove_files(project_dir, files_of_unused_roles(project_dir, context))
    remove_files(project_dir, files_of_other_formats(project_dir, context))
    remove_files(project_dir, empty_manifests(project_dir))
    remove_files(project_dir, files_of_unused_model_source(project_dir, context))
    copy_imported_model(project_dir, context)
    write_answers(project_dir, answers_to_record(context))
    if not os.environ.get("KATA_CLI"):
        print(next_steps(context))
    return 0


if __name__ == "__main__":
    sys.exit(main())
