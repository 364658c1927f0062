"""The same predictor serves any model a training run exports: a transform answers
features, and records can be named by id when a record store is configured."""

import asyncio
import time
from pathlib import Path

import pytest

from app.settings import PredictorSettings
from tests.service.harness import running_app, wait_until_ready
from tests.support import MODEL_NAME, PRIMARY_MODEL_FILE, SETOSA, VIRGINICA

pytestmark = pytest.mark.anyio


async def test_a_transform_answers_features_for_the_next_model(model_dir: Path):
    settings = PredictorSettings(model_uri=str(model_dir / "iris-pca" / "model.onnx"))
    async with running_app(settings) as client:
        await wait_until_ready(client)
        response = await client.post("/predict", json={"rows": [SETOSA, VIRGINICA]})
        metadata = (await client.get("/v2/models/iris-pca")).json()

    body = response.json()
    assert body["model_name"] == "iris-pca"
    assert [len(p["features"]) for p in body["predictions"]] == [2, 2]
    assert metadata["outputs"] == [{"name": "variable", "datatype": "FP32", "shape": [-1, 2]}]


async def test_ids_are_looked_up_in_the_record_store(model_dir: Path):
    settings = PredictorSettings(
        model_uri=str(model_dir / PRIMARY_MODEL_FILE), records_uri=str(model_dir / "records.json")
    )
    async with running_app(settings) as client:
        await wait_until_ready(client)
        by_id = await client.post("/predict/by-id", json={"ids": ["0", "149"]})
        by_value = await client.post("/predict", json={"rows": [SETOSA, [5.9, 3.0, 5.1, 1.8]]})
        unknown = await client.post("/predict/by-id", json={"ids": ["0", "150", "x"]})

    assert by_id.json() == by_value.json()
    assert unknown.status_code == 422
    assert unknown.json() == {"error": "no record with id '150', 'x'"}


async def test_ids_without_a_record_store_are_501(model_path: Path):
    async with running_app(PredictorSettings(model_uri=str(model_path))) as client:
        await wait_until_ready(client)
        response = await client.post("/predict/by-id", json={"ids": ["0"]})

    assert response.status_code == 501
    assert response.json() == {
        "error": "ids cannot be looked up here: PREDICTOR_RECORDS_URI is not set"
    }


async def test_a_configured_record_store_that_cannot_load_keeps_it_unready(
    model_path: Path, tmp_path: Path
):
    settings = PredictorSettings(
        model_uri=str(model_path), records_uri=str(tmp_path / "missing.json")
    )
    async with running_app(settings) as client:
        model_ready = f"/v2/models/{MODEL_NAME}/ready"
        while (await client.get(model_ready)).status_code != 200:  # the model loads regardless
            await asyncio.sleep(0.01)
        ready = await client.get("/v2/health/ready")
        answered = await client.post("/predict", json={"rows": [SETOSA]})

    assert ready.status_code == 503
    assert answered.status_code == 200


async def test_the_test_only_delay_holds_answers_back(model_path: Path):
    settings = PredictorSettings(model_uri=str(model_path), test_delay_s=0.2)
    async with running_app(settings) as client:
        await wait_until_ready(client)
        started = time.perf_counter()
        response = await client.post("/predict", json={"rows": [SETOSA]})

    assert response.status_code == 200
    assert time.perf_counter() - started >= 0.2
