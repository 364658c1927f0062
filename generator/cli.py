"""The ``kata`` command: a thin layer over the catalogue, answers and render modules.

Only this module turns :class:`KataError` into messages and exit codes: 2 for an answer
Kata refuses (one line naming the field and what is allowed), 1 for anything else.
"""

from __future__ import annotations

import secrets
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import ParamSpec

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from generator import __version__
from generator._answers import load_answers_file, parse_assignments, resolve_answers
from generator._catalogue import Catalogue, Pattern, load_catalogue
from generator._check import run_checks
from generator._containers import (
    Engine,
    compose_services,
    exercise_topology,
    find_engine,
    front_door,
)
from generator._errors import AnswerError, KataError
from generator._examples import readme_compose_commands, readme_examples
from generator._job_topology import JobScript, exercise_job
from generator._render import RenderResult, render_project

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

P = ParamSpec("P")


def _reports_errors(command: Callable[P, None]) -> Callable[P, None]:
    @wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            command(*args, **kwargs)
        except KataError as error:
            err.print(f"kata: error: {error}", markup=False, soft_wrap=True)
            sys.exit(error.exit_code)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kata")
def cli() -> None:
    """Generate ML inference services in the shape of a serving pattern."""


@cli.command("list")
def list_patterns() -> None:
    """Show every pattern Kata knows and which ones it can render."""
    table = Table(title="Kata inference patterns", title_justify="left")
    table.add_column("pattern", no_wrap=True)
    table.add_column("status", no_wrap=True)
    # Title, section and summary share the one wrapping column, so it stays readable in an
    # 80-column terminal or a pipe.
    table.add_column("what it is")
    for pattern in load_catalogue().patterns.values():
        status = "[green]available[/]" if pattern.implemented else "[dim]planned[/]"
        section = f" (section {pattern.section})" if pattern.section else ""
        about = f"[bold]{escape(pattern.title)}[/]{section}: {escape(pattern.summary)}"
        table.add_row(pattern.cli_name, status, about)
    out.print(table)
    out.print("Describe one with: kata describe PATTERN")


@cli.command()
@click.argument("pattern_name", metavar="PATTERN")
@_reports_errors
def describe(pattern_name: str) -> None:
    """Explain a pattern: what it is, when to use it, its services and data path."""
    catalogue = load_catalogue()
    pattern = _find_pattern(catalogue, pattern_name)
    status = "available" if pattern.implemented else "planned: not available in this release"
    out.print(f"[bold]{pattern.title}[/] ({pattern.cli_name}) — {status}")
    out.print(pattern.summary)
    out.print(f"\n[bold]When to use[/]\n{pattern.when_to_use}")
    if pattern.services:
        out.print("\n[bold]Services[/]")
        roles = catalogue.context["_roles"]
        for service in pattern.services:
            port = f":{service.port}" if service.port else ""
            summary = roles.get(service.role, {}).get("summary", "")
            model = f"  model={service.model}" if service.model else ""
            out.print(f"  {service.name}{port}  role={service.role}{model}  {summary}".rstrip())
    out.print("\n[bold]Data path[/]")
    for source, target in pattern.flow:
        out.print(f"  {source} ──▶ {target}")
    if pattern.implemented:
        out.print(f"\n[bold]Model formats[/]\n{_formats_offered(catalogue, pattern)}")
        out.print(f"\nGenerate it: kata new --pattern {pattern.cli_name}")


def _formats_offered(catalogue: Catalogue, pattern: Pattern) -> str:
    """The implemented model formats the pattern offers, and why it refuses the others."""
    rules = catalogue.context["_patterns"][pattern.id].get("unsupported", [])
    refused = {
        rule["model_format"]: rule["reason"]
        for rule in rules
        if set(rule) == {"model_format", "reason"}
    }
    implemented = [key for key, option in catalogue.model_formats.items() if option.implemented]
    lines = [f"  {', '.join(key for key in implemented if key not in refused)}"]
    lines += [f"  not {key}: {reason}" for key, reason in refused.items()]
    return "\n".join(lines)


def _find_pattern(catalogue: Catalogue, name: str) -> Pattern:
    pattern_id = name.strip().lower().replace("-", "_")
    if pattern_id not in catalogue.patterns:
        known = ", ".join(p.cli_name for p in catalogue.patterns.values())
        raise AnswerError("pattern", f"unknown pattern {name!r}; known patterns: {known}")
    return catalogue.patterns[pattern_id]


@cli.command()
@click.option("--pattern", help="Inference pattern, e.g. web-single (see `kata list`).")
@click.option("--model-format", help="Model format, e.g. onnx.")
@click.option("--model-delivery", help="in-image or load-at-start.")
@click.option(
    "--model",
    "model_path",
    help="An ONNX model of your own to serve instead of the sample one (its path).",
)
@click.option("--python-version", help="Python version of the images and CI.")
@click.option("--name", "project_name", help="Human-readable project name.")
@click.option("--slug", "project_slug", help="Folder / image / Kubernetes name.")
@click.option(
    "--answers",
    "answers_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="YAML or JSON answers, e.g. a project's .kata-answers.yml.",
)
@click.option("--set", "assignments", multiple=True, metavar="KEY=VALUE", help="Any answer.")
@click.option(
    "-o",
    "--output-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path(),
    show_default=True,
    help="Folder the project folder is created in.",
)
@click.option("--no-input", is_flag=True, help="Never prompt: use defaults for the rest.")
@click.option("--dry-run", is_flag=True, help="List the files that would be written.")
@click.option("--force", is_flag=True, help="Overwrite an existing project folder.")
@_reports_errors
def new(  # noqa: PLR0913, PLR0917 - click passes one parameter per option
    pattern: str | None,
    model_format: str | None,
    model_delivery: str | None,
    model_path: str | None,
    python_version: str | None,
    project_name: str | None,
    project_slug: str | None,
    answers_file: Path | None,
    assignments: tuple[str, ...],
    output_dir: Path,
    no_input: bool,
    dry_run: bool,
    force: bool,
) -> None:
    """Generate a project: asks the questions not answered by flags or --answers."""
    given = load_answers_file(answers_file) if answers_file else {}
    given.update(parse_assignments(list(assignments)))
    flags = {
        "pattern": pattern,
        "model_format": model_format,
        "model_delivery": model_delivery,
        "model_path": model_path,
        "python_version": python_version,
        "project_name": project_name,
        "project_slug": project_slug,
    }
    given.update({key: value for key, value in flags.items() if value is not None})
    catalogue = load_catalogue()
    answers = resolve_answers(catalogue, given, interactive=not no_input)
    result = render_project(answers, output_dir, force=force, dry_run=dry_run, catalogue=catalogue)
    _report(result, answers)


def _report(result: RenderResult, answers: dict[str, str]) -> None:
    if result.dry_run:
        # Never wrapped: scripts read this list one path per line.
        out.print(
            f"Dry run: would write {len(result.files)} files to {result.project_dir}/",
            markup=False,
            soft_wrap=True,
        )
        for path in result.files:
            out.print(f"  {path}", markup=False, soft_wrap=True)
        return
    out.print(
        f"[green]✔[/] Rendered {answers['pattern']} ({answers['model_format']}, "
        f"{answers['model_delivery']}): {len(result.files)} files in "
        f"{result.project_dir}/ ({result.seconds:.1f} s)"
    )
    out.print("\n[bold]Next steps[/]")
    for line in (
        f"cd {result.project_dir}",
        "make install    # dependencies, then "
        + ("imports your model" if answers.get("model_path") else "trains the model (seconds)"),
        "make test       # unit, service and end-to-end tests",
        "make run        # serves on http://127.0.0.1:8000 (README.md has curl examples)",
    ):
        out.print(f"  {line}", markup=False)


@cli.command()
@click.argument(
    "project_dir", type=click.Path(path_type=Path, file_okay=False, exists=True), default=Path()
)
@click.option(
    "--containers",
    is_flag=True,
    help="Also build the images, start compose, wait for health, send the README's examples.",
)
@_reports_errors
def check(project_dir: Path, containers: bool) -> None:
    """Run Kata's checks on a generated project (lint, Dockerfile, compose, k8s)."""
    results = run_checks(project_dir)
    for result in results:
        mark = "[green]✔[/]" if result.ok else "[red]✘[/]"
        out.print(f"{mark} {result.name}")
        if not result.ok and result.detail:
            out.print(result.detail, markup=False)
    failed = [result.name for result in results if not result.ok]
    if containers:
        failed += _check_containers(project_dir)
    if failed:
        err.print(f"kata: {len(failed)} check(s) failed: {', '.join(failed)}", markup=False)
        sys.exit(1)


def _check_containers(project_dir: Path) -> list[str]:
    engine = find_engine()
    if engine is None:
        raise KataError("containers: no working podman or docker found")
    out.print(f"Building images and starting compose with {engine.name} …")
    project_name = f"kata-check-{project_dir.resolve().name}"
    if front_door(compose_services(project_dir)) is None:  # a job: nothing to send to
        return _check_job(engine, project_dir, project_name)
    requests = [example.as_json() for example in readme_examples(project_dir)]
    report = exercise_topology(engine, project_dir, project_name, requests)
    _report_builds(report.build_seconds)
    out.print("[green]✔[/] every service passed its health check")
    failed = []
    for request, answer in zip(requests, report.answers, strict=True):
        ok = answer["status"] < 500  # noqa: PLR2004 - README examples may show a refusal
        mark = "[green]✔[/]" if ok else "[red]✘[/]"
        out.print(
            f"{mark} README example {request['method']} {request['path']} → {answer['status']}"
        )
        if not ok:
            failed.append(f"README example {request['path']}")
    return failed


def _check_job(engine: Engine, project_dir: Path, project_name: str) -> list[str]:
    """Run the README's compose commands in order; each must succeed."""
    commands = readme_compose_commands(project_dir)
    # A throwaway password: compose refuses to start the database without one.
    script = JobScript(commands, ["ps"], {"POSTGRES_PASSWORD": secrets.token_hex(16)})
    report = exercise_job(engine, project_dir, project_name, script)
    _report_builds(report.build_seconds)
    failed = []
    for run in report.runs:
        ok = run.returncode == 0
        out.print(f"{'[green]✔[/]' if ok else '[red]✘[/]'} docker compose {' '.join(run.args)}")
        if not ok:
            out.print(run.output, markup=False)
            failed.append(f"README command {' '.join(run.args)}")
    return failed


def _report_builds(build_seconds: dict[str, float]) -> None:
    for image, seconds in build_seconds.items():
        out.print(f"[green]✔[/] built {image} ({seconds:.1f} s)")


def main() -> None:
    cli()
