"""Both device clients against a real edge server: their predictions equal the server's.

The Python client syncs (a conditional download, sha256 verified) and predicts offline;
the browser client runs in headless Chromium (tests/edge/browser.test.mjs, driven by Node
through playwright-core). Both need only what `make install` provides: node_modules from
`npm ci`, and a Chromium (CHROMIUM, default /usr/bin/chromium).
"""

import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from app.edge.client import LOCK_FILE, SyncError, SyncResult, load_local, predict, sync
from tests.processes import RunningService
from tests.support import PROJECT_ROOT, SETOSA, VIRGINICA, serving_directory

pytestmark = pytest.mark.e2e

ROWS = [SETOSA, [6.7, 3.1, 4.4, 1.4], VIRGINICA, [5.9, 3.0, 5.1, 1.8], [4.9, 2.4, 3.3, 1.0]]
BROWSER_TEST = PROJECT_ROOT / "tests" / "edge" / "browser.test.mjs"
SCREENSHOTS = PROJECT_ROOT / "test-output" / "edge"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def server_predictions(server: RunningService, rows: list[list[float]]) -> dict:
    answer = httpx.post(f"{server.base_url}/predict", json={"rows": rows}, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


# How far a device's probabilities may stray from the server's float model: fp32 bundles by
# float rounding only; an int8 bundle's activations move in steps of 1/255, compounded
# through the hidden layers (tests/edge/test_network_bundle.py bounds the same drift).
TOLERANCE = {"fp32": 1e-5, "int8": 0.05}


def bundle_precision(device_dir: Path) -> str:
    """The precision of the bundle a device holds (fp32, or int8 for a network)."""
    bundle = load_local(device_dir)
    assert bundle is not None
    return str(bundle.manifest["quantization"]["precision"])


def assert_same_predictions(device: dict, server: dict, precision: str) -> None:
    assert (device["model_name"], device["model_version"]) == (
        server["model_name"],
        server["model_version"],
    )
    for mine, theirs in zip(device["predictions"], server["predictions"], strict=True):
        assert (mine["label"], mine["label_index"]) == (theirs["label"], theirs["label_index"])
        assert mine["probabilities"] == pytest.approx(
            theirs["probabilities"], abs=TOLERANCE[precision]
        )


def test_python_client_syncs_once_and_predicts_like_the_server(
    edge_server: RunningService, tmp_path: Path
):
    first = sync(edge_server.base_url, tmp_path)
    second = sync(edge_server.base_url, tmp_path)

    assert first.changed
    assert first.downloaded_bytes > 0
    assert (second.changed, second.downloaded_bytes) == (False, 0)
    bundle = load_local(tmp_path)
    assert bundle is not None
    precision = bundle.manifest["quantization"]["precision"]
    assert_same_predictions(
        predict(tmp_path, ROWS), server_predictions(edge_server, ROWS), precision
    )


def test_python_client_command_line(edge_server: RunningService, tmp_path: Path):
    def client(*arguments: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "app.edge.client", *arguments, "--dir", str(tmp_path)]
        return subprocess.run(
            command, capture_output=True, text=True, check=False, cwd=PROJECT_ROOT
        )

    synced = client("sync", "--server", edge_server.base_url)
    assert synced.returncode == 0, synced.stderr
    assert synced.stdout.startswith("updated to version")
    assert client("sync", "--server", edge_server.base_url).stdout.startswith("up to date")
    answered = client("predict", *map(str, VIRGINICA))
    assert answered.returncode == 0, answered.stderr
    assert_same_predictions(
        json.loads(answered.stdout),
        server_predictions(edge_server, [VIRGINICA]),
        bundle_precision(tmp_path),
    )
    refused = client("predict", "1", "2")
    assert refused.returncode == 1
    assert "each row must hold 4 finite numbers" in refused.stderr


def test_python_client_keeps_its_bundle_when_a_download_is_corrupt(
    edge_server: RunningService, tmp_path: Path
):
    device = tmp_path / "device"
    sync(edge_server.base_url, device)
    good = load_local(device)
    assert good is not None
    # A server whose manifest announces a new version whose file does not match it.
    site = tmp_path / "site"
    (site / "edge").mkdir(parents=True)
    manifest = httpx.get(f"{edge_server.base_url}/edge/manifest").json()
    manifest["version"] = "newer"
    manifest["model"]["sha256"] = "f" * 64
    (site / "edge" / "manifest").write_text(json.dumps(manifest))
    (site / "edge" / "model").write_bytes(b"not the model the manifest describes")

    with serving_directory(site) as corrupt_server, pytest.raises(SyncError, match="hashes to"):
        sync(corrupt_server, device)

    kept = load_local(device)
    assert kept is not None
    assert (kept.sha256, kept.manifest["version"]) == (good.sha256, good.manifest["version"])
    assert_same_predictions(
        predict(device, ROWS), server_predictions(edge_server, ROWS), bundle_precision(device)
    )


def test_browser_predicts_like_the_server(edge_server: RunningService):
    """Runs the Node test; it compares the page's answers with POST /predict's itself."""
    node = shutil.which("node")
    assert node, "node is not on PATH: the browser test needs Node 20 or later"
    assert (PROJECT_ROOT / "node_modules" / "playwright-core").is_dir(), "run `npm ci` first"
    assert Path(CHROMIUM).exists(), f"no Chromium at {CHROMIUM}: install it or set CHROMIUM"
    env = {
        **os.environ,
        "EDGE_BASE_URL": edge_server.base_url,
        "CHROMIUM": CHROMIUM,
        "SCREENSHOT_DIR": str(SCREENSHOTS),
    }
    started = time.perf_counter()
    done = subprocess.run(
        [node, "--test", str(BROWSER_TEST)],
        capture_output=True,
        text=True,
        check=False,
        cwd=PROJECT_ROOT,
        env=env,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert (SCREENSHOTS / "prediction.png").stat().st_size > 0
    print(f"browser test {time.perf_counter() - started:.1f} s")


def test_python_client_touches_only_its_bundle_folders(edge_server: RunningService, tmp_path: Path):
    # The device folder may hold other things; only folders named like a bundle and holding a
    # manifest are the client's to clean up, and the bundle in use before a sync stays.
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "keep.txt").write_text("mine")
    older = tmp_path / "0123456789abcdef"
    older.mkdir()
    (older / "manifest.json").write_text("{}")
    previous = tmp_path / "fedcba9876543210"
    previous.mkdir()
    (previous / "manifest.json").write_text("{}")
    (tmp_path / "current.json").write_text(json.dumps({"folder": previous.name}))

    assert sync(edge_server.base_url, tmp_path).changed

    assert (notes / "keep.txt").read_text() == "mine"
    assert not older.exists()
    assert previous.is_dir()
    bundle = load_local(tmp_path)
    assert bundle is not None
    assert bundle.folder.name == bundle.sha256[:16]


def test_a_sync_waits_while_another_sync_holds_the_folder(
    edge_server: RunningService, tmp_path: Path
):
    results: list[SyncResult] = []
    waiting = threading.Thread(target=lambda: results.append(sync(edge_server.base_url, tmp_path)))
    with (tmp_path / LOCK_FILE).open("a") as other_sync:
        fcntl.flock(other_sync, fcntl.LOCK_EX)
        waiting.start()
        waiting.join(timeout=1.0)
        # A sync needs a few milliseconds against a local server; this one waits instead.
        assert waiting.is_alive()
        assert load_local(tmp_path) is None
    waiting.join(timeout=30)
    assert not waiting.is_alive()
    assert [result.changed for result in results] == [True]
    assert load_local(tmp_path) is not None


def test_a_sync_gives_up_on_a_sync_that_holds_the_folder_too_long(
    edge_server: RunningService, tmp_path: Path
):
    refusal = f"another sync of {tmp_path} has held {tmp_path / LOCK_FILE} for over 0.3 s"
    with (tmp_path / LOCK_FILE).open("a") as stuck_sync:
        fcntl.flock(stuck_sync, fcntl.LOCK_EX)
        with pytest.raises(SyncError, match=re.escape(refusal)):
            sync(edge_server.base_url, tmp_path, lock_wait_s=0.3)

    assert load_local(tmp_path) is None
    assert sync(edge_server.base_url, tmp_path).changed  # the lock is free again


def test_a_device_folder_the_client_cannot_write_is_a_sync_error(tmp_path: Path):
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("")
    with pytest.raises(SyncError, match=r"cannot lock .*not-a-folder/device for a sync"):
        sync("http://127.0.0.1:9", a_file / "device", timeout_s=1)
