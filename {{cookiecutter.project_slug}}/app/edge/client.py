"""The device client: keep the bundle in sync with the server, predict offline.

    python -m app.edge.client sync --server http://127.0.0.1:8000 [--dir edge-device]
    python -m app.edge.client predict [--dir edge-device] 5.1 3.5 1.4 0.2

Needs numpy and onnxruntime only (plus the standard library), as a device would: it
imports nothing else from this project. `sync` downloads the model only when the server's
manifest names another sha256 (a conditional GET with If-None-Match), verifies it, and
switches to it atomically; on any failure the last good bundle stays in use. Syncs of one
folder run one at a time (a lock file; POSIX systems): one started while another runs
waits, then finds the folder current; after LOCK_WAIT_S it gives up, naming the lock.
`predict` runs the bundle with ONNX Runtime, without the network, and answers like
POST /predict.
"""

import argparse
import contextlib
import hashlib
import json
import os
import re
import shutil
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import onnxruntime as ort

if sys.platform != "win32":
    import fcntl

DEFAULT_DIR = Path("edge-device")
CURRENT_FILE = "current.json"
"""Names the folder of the bundle in use; replaced atomically, so a switch is all or nothing."""
MANIFEST_FILE = "manifest.json"
LOCAL_MODEL_FILE = "model.ort"
"""The model's name on the device: fixed, never taken from what the server sends."""
LOCK_FILE = ".sync.lock"
"""Held by the sync in progress (an advisory lock), so two syncs never clean up each other's
bundle folders or download the same model twice."""
BUNDLE_FOLDER_NAME = re.compile(r"^[0-9a-f]{16}$")
"""Bundle folders are named after their model's sha256; nothing else in --dir is touched."""
TIMEOUT_S = 30.0
LOCK_WAIT_S = 300.0
"""How long a sync waits for another sync of the same folder before giving up, so syncs a
timer starts do not pile up behind one that is stuck or downloading a large bundle slowly
(TIMEOUT_S bounds each wait for data, not a whole download)."""
LOCK_POLL_S = 0.05
"""flock cannot wait with a time limit, so the wait polls a non-blocking one this often."""


class SyncError(Exception):
    """The server's bundle could not be fetched or verified; the device keeps its own."""


class BadRowsError(ValueError):
    """Rows that do not fit the model's input."""


@dataclass(frozen=True)
class LocalBundle:
    """A verified bundle on the device."""

    folder: Path
    manifest: dict[str, Any]
    model: bytes

    @property
    def sha256(self) -> str:
        """The model file's sha256, as its manifest states and its bytes confirm."""
        return str(self.manifest["model"]["sha256"])


@dataclass(frozen=True)
class SyncResult:
    """What a sync did."""

    changed: bool
    version: str
    sha256: str
    downloaded_bytes: int


def sha256_hex(data: bytes) -> str:
    """Lower-case hex sha256 of `data`."""
    return hashlib.sha256(data).hexdigest()


def load_local(device_dir: Path) -> LocalBundle | None:
    """The bundle in use, verified against its manifest; None when there is none yet."""
    pointer = device_dir / CURRENT_FILE
    if not pointer.is_file():
        return None
    folder = device_dir / json.loads(pointer.read_text())["folder"]
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    model = (folder / LOCAL_MODEL_FILE).read_bytes()
    if sha256_hex(model) != manifest["model"]["sha256"]:
        raise SyncError(f"{folder} is corrupt: its model does not hash to its manifest's sha256")
    return LocalBundle(folder, manifest, model)


def sync(
    server: str, device_dir: Path, timeout_s: float = TIMEOUT_S, lock_wait_s: float = LOCK_WAIT_S
) -> SyncResult:
    """Bring `device_dir` to the server's current bundle; raises SyncError, keeping the
    bundle in use, when anything fails. Waits up to `lock_wait_s` while another sync of
    `device_dir` runs."""
    with _sync_lock(device_dir, lock_wait_s):
        local = _usable_local(device_dir)
        manifest = json.loads(_get(f"{server}/edge/manifest", {}, timeout_s)[1])
        expected = str(manifest["model"]["sha256"])
        if local is not None and local.sha256 == expected:
            return SyncResult(False, str(manifest["version"]), expected, 0)
        headers = {"If-None-Match": f'"{local.sha256}"'} if local is not None else {}
        status, model, answer_headers = _get(f"{server}/edge/model", headers, timeout_s)
        if status == HTTPStatus.NOT_MODIFIED:
            raise SyncError("the server answered 304 for a model its manifest says has changed")
        _verify(model, expected, answer_headers.get("X-Bundle-Sha256", ""))
        _install(device_dir, manifest, model)
        return SyncResult(True, str(manifest["version"]), expected, len(model))


def predict(device_dir: Path, rows: list[list[float]]) -> dict[str, Any]:
    """Answer `rows` with the bundle in use, offline, in POST /predict's shape."""
    bundle = load_local(device_dir)
    if bundle is None:
        raise SyncError(f"no bundle in {device_dir}: run `sync` first")
    session = ort.InferenceSession(bundle.model, providers=["CPUExecutionProvider"])
    names = [output.name for output in session.get_outputs()]
    matrix = _matrix(rows, bundle.manifest)
    outputs = dict(
        zip(names, session.run(None, {session.get_inputs()[0].name: matrix}), strict=True)
    )
    probabilities = _probabilities(outputs, names)
    labels: list[str] = bundle.manifest["labels"]
    indices = outputs["label"].reshape(-1) if "label" in outputs else probabilities.argmax(axis=1)
    return {
        "model_name": bundle.manifest["name"],
        "model_version": bundle.manifest["version"],
        "predictions": [
            {
                "label": labels[int(index)],
                "label_index": int(index),
                "probabilities": dict(zip(labels, map(float, row), strict=True)),
            }
            for index, row in zip(indices, probabilities, strict=True)
        ],
    }


def _matrix(rows: list[list[float]], manifest: dict[str, Any]) -> Any:  # noqa: ANN401
    width = int(manifest["signature"]["inputs"][0]["shape"][-1])
    try:
        matrix = np.asarray(rows, dtype=np.float32)
    except ValueError as error:
        raise BadRowsError(f"rows must be lists of {width} numbers: {error}") from error
    if matrix.ndim != 2 or matrix.shape[1] != width or not np.isfinite(matrix).all():
        raise BadRowsError(f"each row must hold {width} finite numbers; got shape {matrix.shape}")
    return matrix


def _probabilities(outputs: dict[str, Any], names: list[str]) -> Any:  # noqa: ANN401
    """A scikit-learn graph answers probabilities; a network may answer raw scores."""
    if "probabilities" in outputs:
        return np.asarray(outputs["probabilities"], dtype=np.float64)
    scores = np.asarray(outputs[names[-1]], dtype=np.float64)
    exps = np.exp(scores - scores.max(axis=1, keepdims=True))
    return exps / exps.sum(axis=1, keepdims=True)


@contextlib.contextmanager
def _sync_lock(device_dir: Path, wait_s: float) -> Iterator[None]:
    """Hold `device_dir`'s sync lock until the block ends (closing the file releases it),
    waiting up to `wait_s` for it. Windows has no flock: there, run one sync per folder at a
    time yourself."""
    try:
        device_dir.mkdir(parents=True, exist_ok=True)
        lock = (device_dir / LOCK_FILE).open("a")
    except OSError as error:
        raise SyncError(f"cannot lock {device_dir} for a sync: {error}") from error
    with lock:
        if sys.platform != "win32":
            _acquire(lock, device_dir, wait_s)
        yield


def _acquire(lock: TextIO, device_dir: Path, wait_s: float) -> None:
    deadline = time.monotonic() + wait_s
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise SyncError(
                    f"another sync of {device_dir} has held {device_dir / LOCK_FILE} for over "
                    f"{wait_s:g} s (stuck, or downloading slowly); try again later"
                ) from None
            time.sleep(LOCK_POLL_S)


def _usable_local(device_dir: Path) -> LocalBundle | None:
    """The bundle in use, or None when there is none or it is corrupt (then it is replaced)."""
    try:
        return load_local(device_dir)
    except (SyncError, OSError, ValueError, KeyError):
        return None


def _get(url: str, headers: dict[str, str], timeout_s: float) -> tuple[int, bytes, dict[str, str]]:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - the user's server
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310
            return response.status, response.read(), dict(response.headers.items())
    except urllib.error.HTTPError as error:
        if error.code == HTTPStatus.NOT_MODIFIED:
            return error.code, b"", dict(error.headers.items())
        raise SyncError(f"GET {url} answered {error.code}: {error.read()[:200]!r}") from error
    except (urllib.error.URLError, TimeoutError) as error:
        raise SyncError(f"GET {url} failed: {error}") from error


def _verify(model: bytes, expected: str, announced: str) -> None:
    actual = sha256_hex(model)
    if actual != expected:
        raise SyncError(f"downloaded model hashes to {actual}, the manifest says {expected}")
    if announced and announced.lower() != expected:
        raise SyncError(f"X-Bundle-Sha256 {announced} disagrees with the manifest's {expected}")


def _install(device_dir: Path, manifest: dict[str, Any], model: bytes) -> None:
    """Write the new bundle to its own folder, then switch the pointer to it atomically.

    The bundle in use until now stays (a `predict` may still be reading it); older bundle
    folders go. Files are flushed to disk before the switch, so a power cut leaves either
    bundle whole.
    """
    folder_name = str(manifest["model"]["sha256"])[:16]
    folder = device_dir / folder_name
    folder.mkdir(parents=True, exist_ok=True)
    _write_durably(folder / LOCAL_MODEL_FILE, model)
    _write_durably(folder / MANIFEST_FILE, json.dumps(manifest, indent=2).encode() + b"\n")
    pointer = device_dir / CURRENT_FILE
    previous = _pointed_folder(pointer)
    staged = device_dir / f"{CURRENT_FILE}.{os.getpid()}.new"
    _write_durably(staged, json.dumps({"folder": folder_name}).encode() + b"\n")
    staged.replace(pointer)
    for old in device_dir.iterdir():
        if (
            old.is_dir()
            and BUNDLE_FOLDER_NAME.match(old.name)
            and (old / MANIFEST_FILE).is_file()
            and old.name not in {folder_name, previous}
        ):
            shutil.rmtree(old)


def _pointed_folder(pointer: Path) -> str | None:
    """The folder the pointer names, or None when there is no readable pointer."""
    try:
        return str(json.loads(pointer.read_text())["folder"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_durably(path: Path, content: bytes) -> None:
    with path.open("wb") as file:
        file.write(content)
        file.flush()
        os.fsync(file.fileno())


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: `sync --server URL` or `predict VALUES...` (see the module's doc)."""
    parser = argparse.ArgumentParser(prog="python -m app.edge.client", description=__doc__)
    where = argparse.ArgumentParser(add_help=False)
    where.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="where the bundle lives")
    commands = parser.add_subparsers(dest="command", required=True)
    sync_parser = commands.add_parser(
        "sync", parents=[where], help="fetch the server's bundle if it changed"
    )
    sync_parser.add_argument("--server", default="http://127.0.0.1:8000")
    predict_parser = commands.add_parser(
        "predict", parents=[where], help="predict offline with the bundle"
    )
    predict_parser.add_argument("values", nargs="*", type=float, help="one row's features")
    predict_parser.add_argument(
        "--rows", help='several rows as JSON, e.g. "[[5.1, 3.5, 1.4, 0.2]]"'
    )
    arguments = parser.parse_args(argv)
    try:
        if arguments.command == "sync":
            return _report_sync(arguments.server.rstrip("/"), arguments.dir)
        rows = json.loads(arguments.rows) if arguments.rows else [arguments.values]
        print(json.dumps(predict(arguments.dir, rows)))
    except (SyncError, BadRowsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


def _report_sync(server: str, device_dir: Path) -> int:
    try:
        result = sync(server, device_dir)
    except SyncError as error:
        local = _usable_local(device_dir)
        kept = f"keeping version {local.manifest['version']}" if local else "no bundle yet"
        print(f"sync failed: {error}; {kept}", file=sys.stderr)
        return 1
    if result.changed:
        size = f"{result.downloaded_bytes} bytes"
        print(f"updated to version {result.version} ({size}, sha256 verified)")
    else:
        print(f"up to date: version {result.version}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
