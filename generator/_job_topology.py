"""Run a job pattern's compose topology the way its README says, for real.

A job has no front door to send requests to: the check is that the README's compose
commands (start the database, seed, run the job, show the runs) all succeed against the
built images, and what the job wrote to the database, read back by one more command.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from generator._containers import (
    OUTPUT_TAIL,
    ContainerCheckError,
    Engine,
    build_images,
    compose_services,
    ensure_datastore_images,
    wait_healthy,
)


@dataclass(frozen=True)
class CommandRun:
    """One compose command a job pattern's README shows, and what it did."""

    args: list[str]
    returncode: int
    output: str
    """The tail of stdout and stderr together, for messages."""
    stdout: str


@dataclass(frozen=True)
class JobReport:
    """What exercising a job pattern's containers took and what its commands did."""

    build_seconds: dict[str, float]
    runs: list[CommandRun]
    query_output: str
    """What the query printed on stdout."""
    seconds: float


@dataclass(frozen=True)
class JobScript:
    """What to run against a job pattern's topology."""

    commands: list[list[str]]
    """Arguments after ``docker compose``, in order: the README's commands."""
    query: list[str]
    """One more compose command whose output is the check (the rows the job wrote)."""
    env: dict[str, str]
    """Variables compose needs (a database password)."""


def exercise_job(
    engine: Engine, project_dir: Path, project_name: str, script: JobScript
) -> JobReport:
    """Build the images, then run the script's compose commands in order (``up`` waits for
    health checks; ``down`` is left to the end), then its query; take everything down."""
    started = time.perf_counter()
    build_seconds = build_images(engine, project_dir)
    services = compose_services(project_dir)
    ensure_datastore_images(engine, services)
    healthy = [service.name for service in services if service.healthcheck]
    environ = {**os.environ, **script.env}
    compose = engine.compose(project_name)
    runs = []
    try:
        for args in script.commands:
            if args[:1] == ["down"]:
                continue
            runs.append(_compose_command(compose, _non_interactive(args), project_dir, environ))
            if args[:1] == ["up"]:
                wait_healthy(engine, project_name, services=[n for n in healthy if n in args])
        query_run = _compose_command(compose, _non_interactive(script.query), project_dir, environ)
    finally:
        subprocess.run(
            [*compose, "down", "--volumes"], cwd=project_dir, env=environ, capture_output=True,
            check=False,
        )  # fmt: skip
    if query_run.returncode != 0:
        raise ContainerCheckError(f"{' '.join(script.query)} failed:\n{query_run.output}")
    return JobReport(build_seconds, runs, query_run.stdout, time.perf_counter() - started)


def _non_interactive(args: list[str]) -> list[str]:
    """``run``/``exec`` without a terminal: add ``-T`` (no TTY), as scripts and cron do."""
    if args[:1] in (["run"], ["exec"]) and "-T" not in args:
        return [args[0], "-T", *args[1:]]
    return args


def _compose_command(
    compose: list[str], args: list[str], cwd: Path, env: dict[str, str]
) -> CommandRun:
    done = subprocess.run(
        [*compose, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False,
        timeout=300,
    )  # fmt: skip
    output = (done.stdout + done.stderr)[-OUTPUT_TAIL:]
    return CommandRun(args, done.returncode, output, done.stdout)
