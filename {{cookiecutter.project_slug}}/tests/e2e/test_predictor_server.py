"""The predictor as deployed: a uvicorn process answering real HTTP."""

from typing import Any

import httpx
import pytest

from tests.e2e.server import RunningServer
from tests.support import MODEL_NAME, SETOSA, VIRGINICA, wait_until

pytestmark = pytest.mark.e2e


def test_predict(server: RunningServer, metadata: dict[str, Any]):
    response = httpx.post(f"{server.base_url}/predict", json={"rows": [SETOSA, VIRGINICA]})

    assert response.status_code == 200
    body = response.json()
    assert body["model_version"] == metadata["version"]
    assert [p["label"] for p in body["predictions"]] == ["setosa", "virginica"]


def test_open_inference_protocol(server: RunningServer):
    tensor = {"name": "input", "shape": [1, 4], "datatype": "FP32", "data": VIRGINICA}

    metadata = httpx.get(f"{server.base_url}/v2/models/{MODEL_NAME}").json()
    response = httpx.post(
        f"{server.base_url}/v2/models/{MODEL_NAME}/infer", json={"inputs": [tensor]}
    )

    assert metadata["inputs"] == [{"name": "input", "datatype": "FP32", "shape": [-1, 4]}]
    assert response.json()["outputs"][0]["data"] == [2]


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/predict", b'{"rows": [[NaN, 1, 2, 3]]}', 422),
        ("/predict", b'{"rows": [[1, 2, 3, 4]', 400),
        ("/predict", b'{"rows": [' + b"[1, 2, 3, 4]," * 16 + b"[1, 2, 3, 4]]}", 413),
        (f"/v2/models/{MODEL_NAME}/infer", b'{"inputs": [{"name": "x"}]}', 400),
    ],
    ids=["nan", "malformed", "too many rows", "v2 incomplete tensor"],
)
def test_bad_bodies_are_4xx(server: RunningServer, path: str, body: bytes, status: int):
    response = httpx.post(
        f"{server.base_url}{path}", content=body, headers={"content-type": "application/json"}
    )

    assert response.status_code == status
    assert response.json()["error"]


def test_metrics(server: RunningServer):
    httpx.post(f"{server.base_url}/predict", json={"rows": [SETOSA]})

    text = httpx.get(f"{server.base_url}/metrics").text

    assert 'predictor_http_requests_total{method="POST",route="/predict",status="200"}' in text
    assert "predictor_model_inference_duration_seconds_bucket" in text


def test_request_id_is_echoed_and_logged_as_json(server: RunningServer):
    response = httpx.post(
        f"{server.base_url}/predict",
        json={"rows": [SETOSA]},
        headers={"X-Request-ID": "e2e-request-7"},
    )

    assert response.headers["x-request-id"] == "e2e-request-7"

    def logged() -> bool:
        return any(line.get("request_id") == "e2e-request-7" for line in server.log_lines())

    wait_until(logged, what="the request's log line")
    (line,) = [line for line in server.log_lines() if line.get("request_id") == "e2e-request-7"]
    assert (line["path"], line["status"]) == ("/predict", 200)


def test_every_stdout_line_is_json_including_the_servers_own(server: RunningServer):
    lines = server.log_lines()  # fails on any line that is not JSON

    messages = [line["message"] for line in lines]
    assert any("Application startup complete" in message for message in messages)
    assert any("loaded; ready" in message for message in messages)
