"""Each offered combination, rendered and installed with its own ``make install`` into a
fresh virtual environment (layered over the one its dependency set shares with other
combinations, tests/environments.py): its ``make lint`` passes, and its services, run
locally as the README says (``make run``, every service a real process; a job's README
commands in-process on SQLite), answer the README's examples. Where a combination's code
and tests differ from every other's, its own ``make test`` runs too (tests/matrix.py
``suite_combinations``: the deliveries of a pattern and format share both). For the
combinations the container tier builds, its images build and its compose topology does
what the README shows: a service pattern's front door answers the README's example requests
as its local services did; a job pattern's README compose commands write the same
predictions as the same commands did in-process."""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator import render_project, resolve_answers
from generator._containers import (
    Engine,
    compose_services,
    exercise_topology,
    find_engine,
    front_door,
)
from generator._containers import free_port as free_host_port
from generator._examples import JOB_PLACEHOLDER, readme_compose_commands, readme_examples
from generator._job_topology import JobScript, exercise_job
from tests.environments import create_layered_venv, dependency_set, shared_environment
from tests.matrix import CATALOGUE, combination_answers, combination_id

OUTPUT_TAIL = 6000
OPT_OUT = "KATA_SKIP_CONTAINERS"
# The PostgreSQL server a generated project's own tests use (as DATABASE_URL): they create a
# uniquely named database on it per run. Set KATA_DATABASE_URL to use another; set it empty
# to run them on SQLite only (their PostgreSQL variant then skips, saying why).
DATABASE_VARIABLE = "KATA_DATABASE_URL"
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/test"
PREDICTIONS_QUERY = "SELECT record_id, model_version, label FROM predictions ORDER BY record_id"
LOCAL_ANSWERS = Path(__file__).with_name("local_answers.py")
# Measured per request, so never equal between two runs.
TIMING_SUFFIX = "latency_ms"
# Minted per job or per moment (queue patterns): never equal between two runs either.
PER_RUN_KEYS = frozenset({"job_id", "status_url", "created_at", "started_at", "finished_at"})
# ONNX Runtime writes an ORT-format file's flatbuffer in a varying order (same size, same
# answers), so an image that exports its own device bundle holds another checksum of it
# than the local export: a file entry naming an .ort keeps its size, not its sha256.
PER_BUILD_SUFFIXES = (".ort",)


@dataclass(frozen=True)
class InstalledProject:
    path: Path
    env: dict[str, str]
    install_seconds: float
    shared_install_seconds: float
    """Installing the shared environment of its dependency set, if this combination did."""
    mypy_cache: Path
    """mypy's cache for this worker's projects of the same dependency set (``make lint``)."""

    @property
    def python(self) -> str:
        return str(Path(self.env["VIRTUAL_ENV"]) / "bin" / "python")


@dataclass(frozen=True)
class LocalRun:
    """What the README's examples got from the project's own code run locally: a service
    pattern's answers to its example requests, or the rows a job pattern's commands wrote."""

    requests: list[dict[str, Any]]
    answers: list[dict[str, Any]]
    commands: list[list[str]]
    rows: list[tuple[str, str, str]]


def run(command: list[str], cwd: Path, env: dict[str, str], stdin: str | None = None) -> str:
    done = subprocess.run(
        command, cwd=cwd, env=env, input=stdin, capture_output=True, text=True, check=False
    )
    output = (done.stdout + done.stderr)[-OUTPUT_TAIL:]
    assert done.returncode == 0, f"{' '.join(command)} failed in {cwd}:\n{output}"
    return done.stdout


def without_timings(value: object) -> object:
    """``value`` without the fields that differ between two runs of the same request
    (``*latency_ms`` timings, job ids and timestamps, an ORT file's checksum), at any depth."""
    if isinstance(value, dict):
        per_build = str(value.get("file", "")).endswith(PER_BUILD_SUFFIXES)
        return {
            key: without_timings(item)
            for key, item in value.items()
            if not str(key).endswith(TIMING_SUFFIX)
            and key not in PER_RUN_KEYS
            and not (per_build and key == "sha256")
        }
    if isinstance(value, list):
        return [without_timings(item) for item in value]
    return value


def local_ports(project: Path) -> dict[str, int]:
    """A free port for each service's ``make run`` port variable (PORT for the front door)."""
    services = compose_services(project)
    entry = front_door(services)
    others = [service.name for service in services if service != entry]
    variables = ["PORT"] + [f"PORT_{name.upper().replace('-', '_')}" for name in others]
    return {variable: free_host_port() for variable in variables}


def xdist_worker(config: pytest.Config) -> str | None:
    """The name of the pytest-xdist worker running this process's tests (None: no worker)."""
    workerinput: dict[str, str] | None = getattr(config, "workerinput", None)
    return workerinput["workerid"] if workerinput else None


@pytest.fixture(scope="module")
def installed(
    combination: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
    pytestconfig: pytest.Config,
) -> InstalledProject:
    """Rendered, then `make install`ed into a fresh virtual environment of its own, layered
    over its dependency set's shared one (tests/environments.py)."""
    root = tmp_path_factory.mktemp(combination_id(combination))
    answers = resolve_answers(CATALOGUE, combination_answers(combination, root))
    project = render_project(answers, root).project_dir
    worker = xdist_worker(pytestconfig)
    # One folder for the whole run: xdist gives each worker a base folder inside the run's.
    base = tmp_path_factory.getbasetemp()
    shared_root = (base.parent if worker else base) / "shared-environments"
    dependencies = dependency_set(project)
    shared = shared_environment(shared_root, dependencies)
    started = time.perf_counter()
    env = create_layered_venv(root / "venv", shared.venv)
    env["DATABASE_URL"] = os.environ.get(DATABASE_VARIABLE, DEFAULT_DATABASE_URL)
    run(["make", "install"], project, env)
    seconds = time.perf_counter() - started
    # One folder per worker: two mypy processes never share one.
    mypy_cache = shared_root / "mypy-cache" / f"{dependencies.key}-{worker or 'main'}"
    return InstalledProject(project, env, seconds, shared.seconds, mypy_cache)


@pytest.fixture(scope="module")
def local_run(installed: InstalledProject) -> LocalRun:
    """The README's examples against the project's own code, run locally: its services
    started with ``make run``, or its job's commands run in-process on SQLite."""
    if front_door(compose_services(installed.path)) is None:  # a job: nothing to send to
        commands = readme_compose_commands(installed.path)
        assert any(args[:1] == ["run"] for args in commands), "the README shows no job command"
        rows = predictions_in_process(installed, commands)
        assert rows, "the README's commands predict nothing"
        return LocalRun([], [], commands, rows)
    requests = [example.as_json() for example in readme_examples(installed.path)]
    assert requests, "the README shows no example request"
    given = json.dumps({"requests": requests, "ports": local_ports(installed.path)})
    answered = run([installed.python, str(LOCAL_ANSWERS)], installed.path, installed.env, given)
    answers = json.loads(answered)
    assert len(answers) == len(requests), answers
    return LocalRun(requests, answers, [], [])


@pytest.fixture(scope="session")
def engine() -> Engine | None:
    found = find_engine()
    if found is None and os.environ.get(OPT_OUT) != "1":
        pytest.fail(
            "no working container engine (podman or docker): the container tier cannot run. "
            f"Install podman (see .ci/run), or set {OPT_OUT}=1 to opt out explicitly."
        )
    return found


@pytest.mark.project
def test_generated_project_passes_its_own_lint(installed: InstalledProject) -> None:
    """``make lint`` as the project runs it, with mypy's incremental cache kept from the
    worker's previous project of the same dependency set: the installed packages' analysis
    is reused, and mypy checks again every file whose contents, or whose imports'
    interfaces, differ from what its cache holds (as in any incremental run)."""
    started = time.perf_counter()
    env = {**installed.env, "MYPY_CACHE_DIR": str(installed.mypy_cache)}
    run(["make", "lint"], installed.path, env)
    shared = (
        f", its dependency set's shared environment {installed.shared_install_seconds:.1f} s"
        if installed.shared_install_seconds
        else ""
    )
    print(
        f"make install {installed.install_seconds:.1f} s{shared}, "
        f"make lint {time.perf_counter() - started:.1f} s"
    )


@pytest.mark.project
def test_services_answer_the_readme_examples_locally(
    installed: InstalledProject, local_run: LocalRun
) -> None:
    """A smoke run of the combination's own wiring (Makefile, settings, model path) and model
    format: every example is answered without a server error, a job's polling reaches its
    end, and what answers names a model version the project trained; a job pattern's README
    commands write predictions (checked as they run) by such a model."""
    trained = trained_versions(installed.path)
    if local_run.commands:
        assert {version for _, version, _ in local_run.rows} <= trained
        return
    statuses = [answer["status"] for answer in local_run.answers]
    assert all(status < HTTPStatus.INTERNAL_SERVER_ERROR for status in statuses), statuses
    assert statuses[0] < HTTPStatus.BAD_REQUEST, local_run.answers[0]
    for request, answer in zip(local_run.requests, local_run.answers, strict=True):
        if JOB_PLACEHOLDER in request["path"]:
            assert answer["body"]["status"] == "done", answer
    answered = set(model_versions([answer["body"] for answer in local_run.answers]))
    assert answered, "no example's answer names its model version"
    assert answered <= trained, (answered, trained)


def trained_versions(project: Path) -> set[str]:
    """The version of every model `make install` put into models/ (metadata.json)."""
    return {
        str(json.loads(path.read_text(encoding="utf-8"))["version"])
        for path in (project / "models").rglob("metadata.json")
    }


def model_versions(value: object) -> list[str]:
    """Every ``model_version`` in ``value``, at any depth."""
    if isinstance(value, dict):
        found = [str(value["model_version"])] if value.get("model_version") else []
        return found + [v for item in value.values() for v in model_versions(item)]
    if isinstance(value, list):
        return [version for item in value for version in model_versions(item)]
    return []


@pytest.mark.project
@pytest.mark.own_suite
def test_generated_project_passes_its_own_tests(installed: InstalledProject) -> None:
    started = time.perf_counter()
    output = run(["make", "test"], installed.path, installed.env)
    if installed.env["DATABASE_URL"]:  # nothing may skip, the PostgreSQL variant included
        assert "SKIPPED" not in output, output[-OUTPUT_TAIL:]
    print(f"make test {time.perf_counter() - started:.1f} s")


@pytest.mark.project
@pytest.mark.containers
def test_images_build_and_compose_serves_the_readme_examples(
    installed: InstalledProject, local_run: LocalRun, engine: Engine | None
) -> None:
    if engine is None:
        pytest.skip(f"{OPT_OUT}=1: container tier opted out")
    if local_run.commands:
        check_job_topology(installed, local_run, engine)
        return
    project_name = f"kata-{installed.path.name}"
    report = exercise_topology(engine, installed.path, project_name, local_run.requests)
    assert without_timings(report.answers) == without_timings(local_run.answers)
    builds = ", ".join(
        f"{image} {seconds:.1f} s" for image, seconds in report.build_seconds.items()
    )
    print(f"build {builds}; build + up + examples + down {report.seconds:.1f} s")


def check_job_topology(installed: InstalledProject, local_run: LocalRun, engine: Engine) -> None:
    """The README's compose commands succeed, and write what they wrote in-process."""
    query = ["exec", "postgres", "psql", "-U", "app", "-d", "app", "-At", "-F", ","]
    script = JobScript(
        local_run.commands,
        [*query, "-c", PREDICTIONS_QUERY],
        {"POSTGRES_PASSWORD": secrets.token_hex(16)},
    )
    report = exercise_job(engine, installed.path, f"kata-{installed.path.name}", script)
    for run_ in report.runs:
        assert run_.returncode == 0, f"docker compose {' '.join(run_.args)}:\n{run_.output}"
    rows = [tuple(line.split(",")) for line in report.query_output.split() if "," in line]
    assert rows == local_run.rows
    builds = ", ".join(f"{image} {sec:.1f} s" for image, sec in report.build_seconds.items())
    print(f"build {builds}; build + commands + down {report.seconds:.1f} s, {len(rows)} rows")


def primary_model_file(project: Path) -> str:
    """The file the project's model format saves its primary model to (model.onnx, .skops)."""
    answers = yaml.safe_load((project / ".kata-answers.yml").read_text(encoding="utf-8"))
    return str(CATALOGUE.context["_model_formats"][answers["model_format"]]["model_file"])


def predictions_in_process(
    installed: InstalledProject, commands: list[list[str]]
) -> list[tuple[str, str, str]]:
    """The README's `compose run --rm batch ARGS` as `python -m app.batch ARGS` on SQLite,
    with the model `make batch` names (the image sets BATCH_MODEL_URI the same way)."""
    database = installed.path.parent / "inprocess.db"
    database.unlink(missing_ok=True)
    env = {
        **installed.env,
        "BATCH_DATABASE_URL": f"sqlite:///{database}",
        "BATCH_MODEL_URI": f"models/{primary_model_file(installed.path)}",
    }
    for args in commands:
        if args[:2] == ["run", "--rm"]:
            run([installed.python, "-m", "app.batch", *args[3:]], installed.path, env)
    with sqlite3.connect(database) as connection:
        rows = connection.execute(PREDICTIONS_QUERY).fetchall()
    return [(str(record_id), version, label) for record_id, version, label in rows]
