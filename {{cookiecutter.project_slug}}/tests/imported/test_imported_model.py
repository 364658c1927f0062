"""Your model (model/model.onnx), imported and served: every expectation comes from its graph.

Rows are built from the signature the import recorded, and the expected answers from ONNX
Runtime run directly on the same file, so these tests hold for any model the import accepts
and fail when the server answers anything else.
"""

import json
import re
import shlex
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import numpy.typing as npt
import onnxruntime as ort
import pytest

from app.model.signature import NUMPY_DTYPES
from app.settings import PredictorSettings
from app.training.importing import import_model
from app.training.onnx_graph import read_model_facts
from tests.service.harness import running_app, wait_until_ready
from tests.support import PROJECT_ROOT

YOUR_MODEL = PROJECT_ROOT / "model" / "model.onnx"
NAME = "imported"
ROWS = 5

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def imported_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out_dir = tmp_path_factory.mktemp("imported")
    import_model(YOUR_MODEL, out_dir, NAME, log=lambda _line: None)
    return out_dir


@pytest.fixture(scope="module")
def metadata(imported_dir: Path) -> dict[str, Any]:
    return json.loads((imported_dir / "metadata.json").read_text())


@pytest.fixture(scope="module")
async def client(imported_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = PredictorSettings(model_uri=str(imported_dir / "model.onnx"))
    async with running_app(settings) as started:
        await wait_until_ready(started)
        yield started


def sample_rows(n_features: int) -> npt.NDArray[np.float64]:
    """Distinct, finite rows: any such row fits the signature."""
    generator = np.random.default_rng(7)
    return np.round(generator.normal(size=(ROWS, n_features)), 3)


def run_directly(metadata: dict[str, Any], rows: npt.NDArray[np.float64]) -> npt.NDArray[Any]:
    """What ONNX Runtime itself answers for `rows` on the project's model file."""
    session = ort.InferenceSession(str(YOUR_MODEL), providers=["CPUExecutionProvider"])
    (spec,) = metadata["signature"]["inputs"]
    feed = {spec["name"]: rows.astype(NUMPY_DTYPES[spec["datatype"]])}
    (output,) = session.run([metadata["predict_output"]], feed)
    return np.asarray(output, dtype=np.float64)


def test_the_import_records_the_graph_and_the_file(
    imported_dir: Path, metadata: dict[str, Any]
) -> None:
    facts = read_model_facts(YOUR_MODEL)
    content = YOUR_MODEL.read_bytes()

    assert (imported_dir / "model.onnx").read_bytes() == content
    assert metadata["name"] == NAME
    assert metadata["version"] == metadata["model_sha256"][:12]
    assert metadata["task"] == facts.task
    assert metadata["feature_names"] == facts.feature_names
    assert metadata["signature"]["inputs"] == [
        {"name": facts.input.name, "datatype": facts.input.datatype, "shape": facts.input.shape}
    ]


async def test_predict_answers_what_onnx_runtime_answers(
    client: httpx.AsyncClient, metadata: dict[str, Any]
) -> None:
    rows = sample_rows(len(metadata["feature_names"]))
    expected = run_directly(metadata, rows)

    response = await client.post("/predict", json={"rows": rows.tolist()})

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["model_name"], body["model_version"]) == (NAME, metadata["version"])
    predictions = body["predictions"]
    assert len(predictions) == ROWS
    if metadata["task"] == "classification":
        labels = metadata["labels"]
        assert [p["label"] for p in predictions] == [labels[i] for i in expected.argmax(axis=1)]
        answered = [[p["probabilities"][label] for label in labels] for p in predictions]
    elif metadata["task"] == "regression":
        answered = [p["value"] for p in predictions]
        expected = expected.reshape(ROWS)
    else:
        answered = [p["features"] for p in predictions]
    np.testing.assert_allclose(answered, expected, rtol=1e-5, atol=1e-6)


async def test_rows_keyed_by_feature_name_answer_like_arrays(
    client: httpx.AsyncClient, metadata: dict[str, Any]
) -> None:
    names = metadata["feature_names"]
    rows = sample_rows(len(names)).tolist()
    keyed = [dict(zip(names, row, strict=True)) for row in rows]

    by_position = await client.post("/predict", json={"rows": rows})
    by_name = await client.post("/predict", json={"rows": keyed})

    assert by_name.status_code == 200, by_name.text
    assert by_name.json() == by_position.json()


async def test_a_row_of_the_wrong_width_is_refused_naming_the_count(
    client: httpx.AsyncClient, metadata: dict[str, Any]
) -> None:
    n_features = len(metadata["feature_names"])

    response = await client.post("/predict", json={"rows": [[1.0] * (n_features + 1)]})

    assert response.status_code == 422
    assert response.json()["error"] == (
        f"rows[0] has {n_features + 1} values but the model expects {n_features}"
    )


async def test_an_unknown_feature_name_is_refused(
    client: httpx.AsyncClient, metadata: dict[str, Any]
) -> None:
    row = dict.fromkeys(metadata["feature_names"], 1.0) | {"not_a_feature": 1.0}

    response = await client.post("/predict", json={"rows": [row]})

    assert response.status_code == 422
    assert "not_a_feature" in response.json()["error"]


async def test_v2_metadata_is_the_graph_signature(
    client: httpx.AsyncClient, metadata: dict[str, Any]
) -> None:
    response = await client.get(f"/v2/models/{NAME}")

    assert response.status_code == 200
    body = response.json()
    assert body["inputs"] == metadata["signature"]["inputs"]
    assert body["outputs"] == metadata["signature"]["outputs"]


async def test_v2_infer_answers_what_onnx_runtime_answers(
    client: httpx.AsyncClient, metadata: dict[str, Any]
) -> None:
    (spec,) = metadata["signature"]["inputs"]
    rows = sample_rows(len(metadata["feature_names"]))
    tensor = {
        "name": spec["name"],
        "shape": list(rows.shape),
        "datatype": spec["datatype"],
        "data": rows.reshape(-1).tolist(),
    }
    request = {"inputs": [tensor], "outputs": [{"name": metadata["predict_output"]}]}

    response = await client.post(f"/v2/models/{NAME}/infer", json=request)

    assert response.status_code == 200, response.text
    (output,) = response.json()["outputs"]
    expected = run_directly(metadata, rows)
    assert output["shape"] == list(expected.shape)
    np.testing.assert_allclose(output["data"], expected.reshape(-1), rtol=1e-3, atol=1e-4)


async def test_the_readme_sample_request_is_answered(
    client: httpx.AsyncClient, metadata: dict[str, Any]
) -> None:
    body = readme_predict_body()

    response = await client.post("/predict", json=body)

    assert response.status_code == 200, response.text
    assert len(response.json()["predictions"]) == len(body["rows"])


def readme_predict_body() -> dict[str, Any]:
    """The JSON of the README's first `curl .../predict` example."""
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    for block in re.findall(r"```bash\n(.*?)```", readme, re.DOTALL):
        words = shlex.split(block.replace("\\\n", " "))
        if "curl" in words and any(word.endswith("/predict") for word in words):
            body: dict[str, Any] = json.loads(words[words.index("-d") + 1])
            return body
    raise AssertionError("README.md has no curl example for /predict")
