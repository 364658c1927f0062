"""Open Inference Protocol v2 REST: health, metadata, inference."""

from typing import Any

import httpx
import pytest

from tests.support import MODEL_NAME, SETOSA, VIRGINICA

INFER = f"/v2/models/{MODEL_NAME}/infer"

pytestmark = pytest.mark.anyio


async def test_server_metadata(client: httpx.AsyncClient):
    body = (await client.get("/v2")).json()

    assert body["name"] == "kata-predictor"
    assert body["extensions"] == []


async def test_health(client: httpx.AsyncClient):
    assert (await client.get("/v2/health/live")).json() == {"live": True}
    assert (await client.get("/v2/health/ready")).json() == {"ready": True}


async def test_model_metadata_comes_from_the_graph(
    client: httpx.AsyncClient, metadata: dict[str, Any]
):
    body = (await client.get(f"/v2/models/{MODEL_NAME}")).json()

    assert body["name"] == MODEL_NAME
    assert body["versions"] == [metadata["version"]]
    platforms = {"onnx": "onnxruntime_onnx", "sklearn": "sklearn_skops"}
    assert body["platform"] == platforms[metadata.get("format", "onnx")]
    assert body["inputs"] == [{"name": "input", "datatype": "FP32", "shape": [-1, 4]}]
    assert [output["name"] for output in body["outputs"]] == ["label", "probabilities"]


async def test_model_ready(client: httpx.AsyncClient):
    response = await client.get(f"/v2/models/{MODEL_NAME}/ready")

    assert response.json() == {"name": MODEL_NAME, "ready": True}


async def test_unknown_model_is_404(client: httpx.AsyncClient):
    for path in ("/v2/models/other", "/v2/models/other/ready"):
        response = await client.get(path)
        assert response.status_code == 404
        assert "unknown model 'other'" in response.json()["error"]


async def test_infer_flat_data(client: httpx.AsyncClient, metadata: dict[str, Any]):
    request = {
        "id": "req-1",
        "inputs": [
            {"name": "input", "shape": [2, 4], "datatype": "FP32", "data": SETOSA + VIRGINICA}
        ],
    }

    response = await client.post(INFER, json=request)

    assert response.status_code == 200
    body = response.json()
    assert (body["model_name"], body["model_version"], body["id"]) == (
        MODEL_NAME,
        metadata["version"],
        "req-1",
    )
    label, probabilities = body["outputs"]
    assert label == {"name": "label", "shape": [2], "datatype": "INT64", "data": [0, 2]}
    assert probabilities["shape"] == [2, 3]
    assert len(probabilities["data"]) == 6


async def test_infer_nested_data_and_chosen_outputs(client: httpx.AsyncClient):
    request = {
        "inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [VIRGINICA]}],
        "outputs": [{"name": "label"}],
    }

    body = (await client.post(INFER, json=request)).json()

    assert body["outputs"] == [{"name": "label", "shape": [1], "datatype": "INT64", "data": [2]}]
    assert "id" not in body
