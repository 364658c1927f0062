"""POST /predict answers with labels and probabilities for each row."""

from typing import Any

import httpx
import pytest

from tests.support import SETOSA, VIRGINICA

pytestmark = pytest.mark.anyio


async def test_one_row(client: httpx.AsyncClient, metadata: dict[str, Any]):
    response = await client.post("/predict", json={"rows": [SETOSA]})

    assert response.status_code == 200
    body = response.json()
    assert body["model_name"] == "iris-classifier"
    assert body["model_version"] == metadata["version"]
    (prediction,) = body["predictions"]
    assert prediction["label"] == "setosa"
    assert prediction["label_index"] == 0
    assert set(prediction["probabilities"]) == {"setosa", "versicolor", "virginica"}


async def test_rows_keep_their_order(client: httpx.AsyncClient):
    response = await client.post("/predict", json={"rows": [VIRGINICA, SETOSA, VIRGINICA]})

    labels = [p["label"] for p in response.json()["predictions"]]
    assert labels == ["virginica", "setosa", "virginica"]


async def test_rows_may_be_objects_keyed_by_feature_name(client: httpx.AsyncClient):
    row = {"petal_width": 2.3, "petal_length": 5.2, "sepal_width": 3.0, "sepal_length": 6.7}

    by_name = (await client.post("/predict", json={"rows": [row]})).json()
    by_position = (await client.post("/predict", json={"rows": [VIRGINICA]})).json()

    assert by_name == by_position


async def test_integers_are_numbers_too(client: httpx.AsyncClient):
    response = await client.post("/predict", json={"rows": [[5, 3, 1, 0]]})

    assert response.status_code == 200


async def test_openapi_documents_the_endpoints(client: httpx.AsyncClient):
    paths = (await client.get("/openapi.json")).json()["paths"]

    assert {"/predict", "/v2/models/{name}/infer", "/metrics"} <= set(paths)
