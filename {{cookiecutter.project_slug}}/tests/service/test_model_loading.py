"""The model loads in the background: live at once, ready only once loaded and verified."""

import json
import logging
import threading
from pathlib import Path

import pytest

from app.model.source import sha256_hex
from app.settings import PredictorSettings
from tests.service.harness import eventually, running_app, wait_until_ready
from tests.support import MODEL_NAME, PRIMARY_MODEL_FILE, SETOSA, serving_directory

pytestmark = pytest.mark.anyio


async def test_live_at_once_ready_only_after_a_slow_download(model_dir: Path):
    gate = threading.Event()
    with serving_directory(model_dir, gate=gate) as base_url:
        settings = PredictorSettings(model_uri=f"{base_url}/{PRIMARY_MODEL_FILE}")
        async with running_app(settings) as client:
            assert (await client.get("/v2/health/live")).status_code == 200
            not_ready = await client.get("/v2/health/ready")
            assert (not_ready.status_code, not_ready.json()) == (503, {"ready": False})
            refused = await client.post("/predict", json={"rows": [SETOSA]})
            assert refused.status_code == 503
            assert refused.json() == {"error": "the model is not loaded yet"}
            assert (await client.get(f"/v2/models/{MODEL_NAME}/ready")).status_code == 503

            gate.set()
            await wait_until_ready(client)

            assert (await client.post("/predict", json={"rows": [SETOSA]})).status_code == 200


async def test_loads_from_a_url_with_a_pinned_checksum(model_dir: Path):
    pin = sha256_hex((model_dir / PRIMARY_MODEL_FILE).read_bytes())
    with serving_directory(model_dir) as base_url:
        settings = PredictorSettings(model_uri=f"{base_url}/{PRIMARY_MODEL_FILE}", model_sha256=pin)
        async with running_app(settings) as client:
            await wait_until_ready(client)
            response = await client.post("/predict", json={"rows": [SETOSA]})

    assert response.json()["predictions"][0]["label"] == "setosa"


async def test_checksum_mismatch_keeps_the_server_unready_and_says_why(
    model_copy: Path, caplog: pytest.LogCaptureFixture
):
    metadata_path = model_copy / "metadata.json"
    metadata = json.loads(metadata_path.read_text())
    metadata_path.write_text(json.dumps({**metadata, "model_sha256": "0" * 64}))
    settings = PredictorSettings(model_uri=str(model_copy / PRIMARY_MODEL_FILE))

    async with running_app(settings) as client:
        await eventually(lambda: _load_failure(caplog) is not None, "the load failure log line")
        ready = await client.get("/v2/health/ready")

    assert ready.status_code == 503
    failure = _load_failure(caplog)
    assert failure is not None
    assert failure.levelno == logging.ERROR
    message = failure.getMessage()
    assert "checksum mismatch" in message
    assert metadata["model_sha256"] in message
    assert "0" * 64 in message


async def test_missing_model_keeps_the_server_unready(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    settings = PredictorSettings(model_uri=str(tmp_path / PRIMARY_MODEL_FILE))

    async with running_app(settings) as client:
        await eventually(lambda: _load_failure(caplog) is not None, "the load failure log line")
        assert (await client.get("/v2/health/ready")).status_code == 503
        assert (await client.get("/v2/health/live")).status_code == 200

    failure = _load_failure(caplog)
    assert failure is not None
    assert "cannot read" in failure.getMessage()


def _load_failure(caplog: pytest.LogCaptureFixture) -> logging.LogRecord | None:
    return next((r for r in caplog.records if "model load failed" in r.getMessage()), None)
