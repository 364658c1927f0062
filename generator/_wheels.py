"""A folder of wheels served as a package index, for image builds that cannot reach theirs.

A pytorch project's Dockerfile installs torch's CPU build from ``TORCH_INDEX_URL``
(https://download.pytorch.org/whl/cpu by default). Where that host is unreachable but the
wheels are on disk, ``KATA_TORCH_WHEELS=/path/to/wheels`` makes the container tier serve
that folder as a PEP 503 simple index over HTTP on the host's loopback (the builds use the
host's network) and pass ``--build-arg TORCH_INDEX_URL=<it>``. Unset, the project's own
default index is used.

The index listens on a port chosen from the folder's path where that port is free, so
consecutive builds pass the same URL: a build argument is part of a layer's cache key, and
a URL that changed per build would make every build install torch again.
"""

from __future__ import annotations

import functools
import html
import os
import re
import tempfile
import threading
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

TORCH_WHEELS_VARIABLE = "KATA_TORCH_WHEELS"
TORCH_INDEX_ARG = "TORCH_INDEX_URL"
PREFERRED_PORTS = range(20000, 30000)


def declares_torch_index(project_dir: Path) -> bool:
    """Whether the project's Dockerfile takes the torch index as a build argument."""
    dockerfile = project_dir / "Dockerfile"
    pattern = rf"^ARG {TORCH_INDEX_ARG}\b"
    return bool(re.search(pattern, dockerfile.read_text(encoding="utf-8"), re.MULTILINE))


@contextmanager
def torch_build_args(project_dir: Path) -> Iterator[list[str]]:
    """``--build-arg`` options for the project's image builds, valid while inside."""
    wheels = os.environ.get(TORCH_WHEELS_VARIABLE, "").strip()
    if not wheels or not declares_torch_index(project_dir):
        yield []
        return
    with simple_index(Path(wheels)) as url:
        yield ["--build-arg", f"{TORCH_INDEX_ARG}={url}"]


@contextmanager
def simple_index(wheels_dir: Path) -> Iterator[str]:
    """Serve every wheel in ``wheels_dir`` as a PEP 503 index; yields its URL."""
    wheels = sorted(wheels_dir.glob("*.whl"))
    if not wheels:
        raise FileNotFoundError(f"{TORCH_WHEELS_VARIABLE}={wheels_dir} holds no wheels")
    with tempfile.TemporaryDirectory(prefix="kata-wheels-") as root:
        _write_index(Path(root), wheels)
        server = _serve(
            functools.partial(_QuietHandler, directory=root), preferred_port(wheels_dir)
        )
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}/simple"
        finally:
            server.shutdown()
            server.server_close()


def preferred_port(wheels_dir: Path) -> int:
    """A port of ``wheels_dir``'s own, below Linux's ephemeral range (32768 and up)."""
    return PREFERRED_PORTS.start + zlib.crc32(str(wheels_dir.resolve()).encode()) % len(
        PREFERRED_PORTS
    )


def _serve(handler: Callable[..., BaseHTTPRequestHandler], port: int) -> ThreadingHTTPServer:
    """A server on 127.0.0.1:``port``, or on any free port while that one is taken (another
    build's index of the same folder, say)."""
    try:
        return ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError:
        return ThreadingHTTPServer(("127.0.0.1", 0), handler)


def project_name(wheel: Path) -> str:
    """The normalised project name of a wheel file (PEP 503): torch-2.13.0+cpu-... -> torch."""
    return re.sub(r"[-_.]+", "-", wheel.name.split("-", 1)[0]).lower()


def _write_index(root: Path, wheels: list[Path]) -> None:
    projects: dict[str, list[Path]] = {}
    for wheel in wheels:
        projects.setdefault(project_name(wheel), []).append(wheel)
    for name, files in projects.items():
        folder = root / "simple" / name
        folder.mkdir(parents=True)
        links = []
        for wheel in files:
            # A link, not a copy: torch's CPU wheel alone is a few hundred MB.
            (folder / wheel.name).symlink_to(wheel.resolve())
            links.append(f'<a href="{quote(wheel.name)}">{html.escape(wheel.name)}</a><br>')
        page = "\n".join(["<!DOCTYPE html>", *links]) + "\n"
        (folder / "index.html").write_text(page, encoding="utf-8")


class _QuietHandler(SimpleHTTPRequestHandler):
    """Serves files without a log line per request on stderr."""

    def log_message(self, format: str, *args: object) -> None:
        return
