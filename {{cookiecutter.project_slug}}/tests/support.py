"""Helpers shared by the test tiers: real file servers, free ports, polling, log parsing."""

import functools
import importlib
import json
import pkgutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from pydantic_settings import BaseSettings

import app
from app.settings import ServiceSettings
from app.training.formats import MODEL_FILE_NAMES, declared_format

PROJECT_ROOT = Path(__file__).resolve().parents[1]
MODEL_FORMAT = declared_format(PROJECT_ROOT / "pyproject.toml")
"""The project's model format, as Kata wrote it into pyproject.toml: the tests train it."""
PRIMARY_MODEL_FILE = MODEL_FILE_NAMES[MODEL_FORMAT]
"""The primary model's file: model.onnx, or model.skops for the sklearn format."""
MODEL_NAME = "iris-classifier"
SETOSA = [5.1, 3.5, 1.4, 0.2]
VIRGINICA = [6.7, 3.0, 5.2, 2.3]


def assert_env_example_documents(settings_class: type[BaseSettings], prefix: str) -> None:
    """.env.example lists every field of `settings_class` as `# <PREFIX><FIELD>=<default>`."""
    env_example = PROJECT_ROOT / ".env.example"
    documented = dict(
        line.removeprefix("# ").split("=", 1)
        for line in env_example.read_text(encoding="utf-8").splitlines()
        if line.startswith(f"# {prefix}")
    )
    defaults = settings_class.model_construct()
    fields = settings_class.model_fields

    assert set(documented) == {f"{prefix}{name.upper()}" for name in fields}
    for name, field in fields.items():
        default = None if field.is_required() else getattr(defaults, name)
        default = getattr(default, "value", default)  # an enum shows its value
        shown = "" if default is None else str(default)
        if isinstance(default, bool):  # the environment spells booleans true/false
            shown = shown.lower()
        assert documented[f"{prefix}{name.upper()}"] in {shown, shown.removesuffix(".0")}, name


def role_settings_classes() -> list[type[ServiceSettings]]:
    """Every role's settings class this project holds (app/**/settings.py).

    A class extended by another found one under the same prefix (PredictorSettings by the
    cached predictor's) is left out: the extension's fields include it, and .env.example
    documents the role that runs.
    """
    found: list[type[ServiceSettings]] = []
    for module_info in pkgutil.walk_packages(app.__path__, "app."):
        if module_info.name.rsplit(".", 1)[-1] != "settings":
            continue
        module = importlib.import_module(module_info.name)
        found += [
            value
            for value in vars(module).values()
            if isinstance(value, type)
            and issubclass(value, ServiceSettings)
            and value.__module__ == module.__name__
            and value.model_config.get("env_prefix")
        ]
    return [
        candidate
        for candidate in found
        if not any(
            other is not candidate
            and issubclass(other, candidate)
            and other.model_config.get("env_prefix") == candidate.model_config.get("env_prefix")
            for other in found
        )
    ]


def free_port() -> int:
    """A TCP port nothing listens on, kept from other processes' free ports for a while.

    A port that is merely free when asked can go to another process on this machine (another
    test session asking for a free port) before our service binds it; the test would then
    talk to that process's service. So the port is left in TIME_WAIT, by a connection whose
    server side closes first: while that lasts (about 60 s on Linux; other systems may hand
    such a port out again) the kernel gives the port to no other request for a free port nor
    to an outgoing connection, yet a server setting SO_REUSEADDR (uvicorn, redis-server,
    http.server all do) binds it at once. A bind without SO_REUSEADDR (socketserver's
    TCPServer by default) fails until the TIME_WAIT ends.
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


class _QuietFileHandler(SimpleHTTPRequestHandler):
    """Serves files without writing an access line to stderr for each request."""

    gate: threading.Event | None = None

    def do_GET(self) -> None:
        if self.gate is not None:
            self.gate.wait(timeout=30)
        super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serving_directory(directory: Path, gate: threading.Event | None = None) -> Iterator[str]:
    """Serve `directory` over real HTTP on a free port; yield its base URL.

    With `gate`, every GET waits until the event is set: a slow model host.
    """
    handler_class = type("FileHandler", (_QuietFileHandler,), {"gate": gate})
    handler = functools.partial(handler_class, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        if gate is not None:
            gate.set()
        server.shutdown()
        server.server_close()
        thread.join()


def wait_until(condition: Callable[[], bool], timeout_s: float = 15.0, what: str = "") -> None:
    """Poll `condition` until it holds; fail the test after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what or condition}")
        time.sleep(0.02)


def json_lines(text: str) -> list[dict[str, Any]]:
    """Parse every non-empty line as JSON; fails if one is not."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]
