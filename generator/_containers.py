"""Build a generated project's images and run its compose topology for real.

A service pattern is served and its README's example requests sent to its front door
(``exercise_topology``); a job pattern's README compose commands are run in order and the
rows they wrote read back (``exercise_job``). Images a project runs but does not build
(``postgres:16``) are pulled, or built from a registry-free stand-in (``ensure_image``).

Works with podman (plus podman-compose) or docker (plus its compose plugin): whichever
``KATA_CONTAINER_ENGINE`` names, else the first found. Every step raises
:class:`ContainerCheckError` with the tool's own output when it fails.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from generator._errors import KataError
from generator._examples import send_examples
from generator._wheels import torch_build_args

ENGINE_VARIABLE = "KATA_CONTAINER_ENGINE"
OUTPUT_TAIL = 4000


class ContainerCheckError(KataError):
    """A build, start or health check of a generated project's containers failed."""


@dataclass(frozen=True)
class ComposeService:
    name: str
    image: str
    target: str | None
    published_port: str | None
    port_variable: str | None
    healthcheck: bool = True


@dataclass(frozen=True)
class Engine:
    """A container engine and the compose implementation that goes with it."""

    name: str

    def build(
        self, project_dir: Path, target: str, image: str, build_args: list[str] | None = None
    ) -> list[str]:
        # podman: RUN steps reach the package index through the host's network, and the
        # docker format keeps HEALTHCHECK, which the OCI format drops. A build argument
        # naming an index on the host's loopback (KATA_TORCH_WHEELS) needs that network too.
        extra = ["--network=host", "--format", "docker"] if self.name == "podman" else []
        if build_args and self.name != "podman":
            extra = ["--network=host"]
        options = [*extra, *(build_args or [])]
        return [self.name, "build", *options, "--target", target, "--tag", image, str(project_dir)]

    def compose(self, project_name: str) -> list[str]:
        if self.name == "podman":
            return [_beside_python("podman-compose"), "--project-name", project_name]
        return ["docker", "compose", "--project-name", project_name]

    def containers(self, project_name: str, service: str | None = None) -> list[str]:
        label = f"label=com.docker.compose.project={project_name}"
        command = [self.name, "ps", "--all", "--filter", label, "--format", "{{.Names}}"]
        if service is not None:
            command[-2:-2] = ["--filter", f"label=com.docker.compose.service={service}"]
        return command

    def image_exists(self, image: str) -> list[str]:
        return [self.name, "image", "inspect", image]

    def health(self, container: str) -> list[str]:
        if self.name == "podman":  # no systemd timers here: run the check on demand
            return ["podman", "healthcheck", "run", container]
        return ["docker", "inspect", "--format", "{{.State.Health.Status}}", container]


def find_engine() -> Engine | None:
    """The engine named by ``KATA_CONTAINER_ENGINE``, else podman, else docker."""
    wanted = os.environ.get(ENGINE_VARIABLE)
    for name in [wanted] if wanted else ["podman", "docker"]:
        if shutil.which(name) and _engine_answers(name):
            return Engine(name)
    return None


def compose_services(project_dir: Path) -> list[ComposeService]:
    """Services of the project's compose.yaml, with what each builds and publishes."""
    compose = yaml.safe_load((project_dir / "compose.yaml").read_text(encoding="utf-8"))
    services = []
    for name, spec in compose["services"].items():
        build = spec.get("build") or {}
        published, variable = _published_port(spec.get("ports", []))
        services.append(
            ComposeService(
                name, spec["image"], build.get("target"), published, variable,
                healthcheck="healthcheck" in spec,
            )
        )  # fmt: skip
    return services


def front_door(services: list[ComposeService]) -> ComposeService | None:
    """The first service that publishes a port (what clients call); None for a job pattern.
    One-shot helpers (a seed) come before it in compose.yaml but publish nothing."""
    return next((service for service in services if service.published_port), None)


def build_images(engine: Engine, project_dir: Path) -> dict[str, float]:
    """Build every image target compose.yaml names; returns seconds per image.

    With ``KATA_TORCH_WHEELS`` set, a pytorch project's builds install torch from that
    folder, served as a package index for the duration (see generator/_wheels.py).
    """
    seconds: dict[str, float] = {}
    with torch_build_args(project_dir) as build_args:
        for service in compose_services(project_dir):
            if service.target is None or service.image in seconds:
                continue
            started = time.perf_counter()
            command = engine.build(project_dir, service.target, service.image, build_args)
            _run(command, project_dir)
            seconds[service.image] = time.perf_counter() - started
    return seconds


@contextmanager
def compose_up(
    engine: Engine,
    project_dir: Path,
    project_name: str,
    ports: dict[str, int],
    variables: dict[str, str] | None = None,
) -> Iterator[None]:
    """Start the topology (images already built) with ``ports`` and ``variables`` in its
    environment, and always take it down again."""
    env = {**os.environ, **(variables or {})}
    env.update({variable: str(port) for variable, port in ports.items()})
    compose = engine.compose(project_name)
    try:
        _run([*compose, "up", "--detach", "--no-build"], project_dir, env)
        yield
    finally:
        subprocess.run(
            [*compose, "down", "--volumes"], cwd=project_dir, env=env, capture_output=True,
            check=False,
        )  # fmt: skip


def wait_healthy(
    engine: Engine, project_name: str, timeout_s: float = 120.0, services: list[str] | None = None
) -> list[str]:
    """Run the health check of every container (or of ``services``' containers) until all
    pass; returns their names. One-shot services without a health check are left out."""
    deadline = time.monotonic() + timeout_s
    if services is None:
        containers = _output(engine.containers(project_name)).split()
    else:
        containers = [
            name for service in services
            for name in _output(engine.containers(project_name, service)).split()
        ]  # fmt: skip
    if not containers:
        raise ContainerCheckError(f"compose started no containers for {project_name}")
    pending = set(containers)
    while pending and time.monotonic() < deadline:
        pending = {name for name in pending if not _healthy(engine, name)}
        if pending:
            time.sleep(1)
    if pending:
        logs = "\n".join(_output([engine.name, "logs", name])[-OUTPUT_TAIL:] for name in pending)
        raise ContainerCheckError(f"not healthy after {timeout_s:.0f} s: {sorted(pending)}\n{logs}")
    return containers


def wait_for_port(port: int, timeout_s: float = 30.0) -> None:
    """Wait until the published port accepts connections on the host."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise ContainerCheckError(f"nothing listens on published port {port} after {timeout_s} s")


@dataclass(frozen=True)
class TopologyReport:
    """What exercising a project's containers took and what its front door answered."""

    build_seconds: dict[str, float]
    answers: list[dict[str, Any]]
    seconds: float


def exercise_topology(
    engine: Engine, project_dir: Path, project_name: str, requests: list[dict[str, Any]]
) -> TopologyReport:
    """Build the images, start compose (every published port on a free one), wait for
    every health check, send ``requests`` to the first service (the front door), and take
    everything down."""
    started = time.perf_counter()
    build_seconds = build_images(engine, project_dir)
    services = compose_services(project_dir)
    ensure_datastore_images(engine, services)
    # Every published port on a free one, so two topologies never collide on the host.
    ports = {s.port_variable: free_port() for s in services if s.port_variable}
    entry = front_door(services)
    if entry is None:
        raise ContainerCheckError(f"{project_dir}: compose.yaml publishes no port to send to")
    port = ports.get(entry.port_variable or "", int(entry.published_port or 0))
    # compose refuses to start a database without a password: a throwaway one.
    variables = {"POSTGRES_PASSWORD": secrets.token_hex(16)}
    with compose_up(engine, project_dir, project_name, ports, variables):
        # One-shot services (a seed) have no health check: they have exited by now.
        wait_healthy(engine, project_name, services=[s.name for s in services if s.healthcheck])
        wait_for_port(port)
        answers = send_examples(f"http://127.0.0.1:{port}", requests)
    return TopologyReport(build_seconds, answers, time.perf_counter() - started)


STANDINS_DIR = Path(__file__).with_name("standins")
STANDINS = {"docker.io/library/postgres:16": "postgres"}
"""Images a generated project runs (not builds) that Kata can stand in for, offline."""


def ensure_datastore_images(engine: Engine, services: list[ComposeService]) -> None:
    """Every image compose runs but does not build (PostgreSQL, Redis): see ensure_image."""
    for service in services:
        if service.target is None:
            ensure_image(engine, service.image)


def ensure_image(engine: Engine, image: str) -> str:
    """Make ``image`` available: present, else pulled, else built from Kata's registry-free
    stand-in (``generator/standins/<name>/``); returns which of the three happened."""
    if _succeeds(engine.image_exists(image)):
        return "present"
    if _succeeds([engine.name, "pull", image]):
        return "pulled"
    if image not in STANDINS:
        raise ContainerCheckError(f"{image} is neither present nor pullable, and has no stand-in")
    extra = ["--network=host"] if engine.name == "podman" else []
    recipe = STANDINS_DIR / STANDINS[image]
    _run([engine.name, "build", *extra, "--tag", image, str(recipe)], recipe)
    return "stand-in built"


def free_port() -> int:
    """A host port nothing listens on, kept from other processes' free ports for a while.

    Left in TIME_WAIT by a connection whose server side closes first, the port goes to no
    other request for a free port (another check running beside this one) for about 60 s on
    Linux, while the engine's port forwarder, which sets SO_REUSEADDR, binds it at once. A
    bind without SO_REUSEADDR fails until the TIME_WAIT ends.
    """
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        address = listener.getsockname()
        with socket.create_connection(address):
            accepted, _ = listener.accept()
            accepted.close()
    return int(address[1])


def _healthy(engine: Engine, container: str) -> bool:
    done = subprocess.run(engine.health(container), capture_output=True, text=True, check=False)
    if engine.name == "podman":
        return done.returncode == 0
    return done.stdout.strip() == "healthy"


def _published_port(ports: list[str]) -> tuple[str | None, str | None]:
    """``"${HOST_PORT_X:-8000}:8000"`` -> (``"8000"``, ``"HOST_PORT_X"``)."""
    if not ports:
        return None, None
    published = str(ports[0]).rsplit(":", 1)[0]
    if published.startswith("${"):
        variable, _, default = published[2:-1].partition(":-")
        return default, variable
    return published, None


def _engine_answers(name: str) -> bool:
    done = subprocess.run([name, "info"], capture_output=True, check=False)
    return done.returncode == 0


def _beside_python(command: str) -> str:
    beside = Path(sys.executable).parent / command
    return str(beside) if beside.is_file() else command


def _run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        output = (done.stdout + done.stderr)[-OUTPUT_TAIL:]
        raise ContainerCheckError(f"{' '.join(command)} failed:\n{output}")


def _succeeds(command: list[str]) -> bool:
    return subprocess.run(command, capture_output=True, check=False).returncode == 0


def _output(command: list[str]) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=False).stdout
