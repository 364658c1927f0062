"""Model delivery as deployed: downloaded from a real HTTP server, checksum enforced."""

from pathlib import Path

import httpx
import pytest

from app.model.source import sha256_hex
from tests.e2e.server import uvicorn_server
from tests.support import PRIMARY_MODEL_FILE, SETOSA, serving_directory, wait_until

pytestmark = pytest.mark.e2e


def test_model_downloaded_over_http_is_served(model_dir: Path, tmp_path: Path):
    pin = sha256_hex((model_dir / PRIMARY_MODEL_FILE).read_bytes())
    with serving_directory(model_dir) as base_url:
        model_uri = f"{base_url}/{PRIMARY_MODEL_FILE}"
        env = {"PREDICTOR_MODEL_URI": model_uri, "PREDICTOR_MODEL_SHA256": pin}
        with uvicorn_server(env, tmp_path) as server:
            server.wait_until_ready()
            response = httpx.post(f"{server.base_url}/predict", json={"rows": [SETOSA]})

    assert response.json()["predictions"][0]["label"] == "setosa"


def test_pinned_checksum_mismatch_keeps_the_server_unready(model_dir: Path, tmp_path: Path):
    with serving_directory(model_dir) as base_url:
        model_uri = f"{base_url}/{PRIMARY_MODEL_FILE}"
        env = {"PREDICTOR_MODEL_URI": model_uri, "PREDICTOR_MODEL_SHA256": "0" * 64}
        with uvicorn_server(env, tmp_path) as server:

            def failure_logged() -> bool:
                return any("model load failed" in line["message"] for line in server.log_lines())

            wait_until(failure_logged, what="the load failure log line")
            ready = httpx.get(f"{server.base_url}/v2/health/ready")
            live = httpx.get(f"{server.base_url}/v2/health/live")
            (failure,) = [x for x in server.log_lines() if "model load failed" in x["message"]]

    assert (ready.status_code, live.status_code) == (503, 200)
    assert failure["level"] == "ERROR"
    assert "checksum mismatch" in failure["message"]
    assert "the pinned checksum expects " + "0" * 64 in failure["message"]
