"""The prep-pred pattern: client -> preprocess -> predictor as real processes end to end;
then the version lock (a predictor from another training run), a killed predictor and a
slow one, each with its exact answer."""

import json
import shutil
from collections.abc import Iterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.model.errors import ChecksumMismatchError, ModelLoadError
from app.preprocess.app import create_app
from app.preprocess.settings import PreprocessSettings
from app.preprocess.transformer import load_transformer
from tests.processes import RunningService, running, start_service
from tests.proxy.topology import (
    PREPROCESS,
    in_process,
    logged_request_ids,
    metric,
    start_predictor,
    wait_check,
    wait_ready,
)
from tests.support import SETOSA, VIRGINICA, wait_until

pytestmark = [pytest.mark.anyio, pytest.mark.e2e]

MODEL = "iris-prep-classifier"


@pytest.fixture(scope="module")
def transformer_path(model_dir: Path) -> Path:
    return model_dir / "iris-preprocess" / "transformer.json"


@pytest.fixture(scope="module")
def predictors(
    model_dir: Path, other_run: Path, log_dir: Path
) -> Iterator[dict[str, RunningService]]:
    """Started together: the matching predictor, one from another training run, one serving
    another model altogether, and a slow one (0.5 s, the test-only delay setting)."""
    model = model_dir / MODEL / "model.onnx"
    started = [
        start_predictor("predictor", model, log_dir),
        start_predictor("other-run", other_run, log_dir),
        start_predictor("wrong-model", model_dir / "model.onnx", log_dir),
        start_predictor("slow", model, log_dir, test_delay_s=0.5),
    ]
    with running(*started):
        yield {service.name: service for service in started}


@pytest.fixture(scope="module")
def predictor(predictors: dict[str, RunningService]) -> RunningService:
    return predictors["predictor"]


@pytest.fixture(scope="module")
def preprocess(
    predictor: RunningService, transformer_path: Path, log_dir: Path
) -> Iterator[RunningService]:
    env = {
        "PREPROCESS_MODEL_URI": str(transformer_path),
        "PREPROCESS_PREDICTOR_URL": predictor.base_url,
    }
    with running(start_service("preprocess", PREPROCESS, env, log_dir)) as (served,):
        yield served


@pytest.fixture(scope="module")
def other_run(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same model, recorded as released by another training run (version 0c7e1f2a9b3d)."""
    folder = tmp_path_factory.mktemp("other-run") / MODEL
    shutil.copytree(model_dir / MODEL, folder)
    metadata = json.loads((folder / "metadata.json").read_text())
    (folder / "metadata.json").write_text(json.dumps({**metadata, "version": "0c7e1f2a9b3d"}))
    return folder / "model.onnx"


def _preprocess(
    transformer: Path, url: str, **settings: Any
) -> AbstractAsyncContextManager[httpx.AsyncClient]:
    """The preprocess app in-process, in front of `url`."""
    chosen = PreprocessSettings(model_uri=str(transformer), predictor_url=url, **settings)
    return in_process(create_app(chosen))


def test_end_to_end_the_model_answers_the_transformed_rows(
    preprocess: RunningService, predictor: RunningService, transformer_path: Path
):
    rows = [SETOSA, VIRGINICA]
    transformed = load_transformer(str(transformer_path), None, 5, 16).transform(rows)
    direct = httpx.post(f"{predictor.base_url}/predict", json={"rows": transformed}).json()
    version = json.loads((transformer_path.parent / "metadata.json").read_text())["version"]

    response = httpx.post(f"{preprocess.base_url}/predict", json={"rows": rows})

    assert response.status_code == 200
    assert response.json() == {
        **direct,
        "preprocess": {"name": "iris-preprocess", "version": version},
    }
    assert direct["model_version"] == version
    assert [p["label"] for p in direct["predictions"]] == ["setosa", "virginica"]


def test_end_to_end_one_request_id_crosses_both_hops(
    preprocess: RunningService, predictor: RunningService
):
    headers = {"X-Request-ID": "prep-3"}
    httpx.post(f"{preprocess.base_url}/predict", json={"rows": [SETOSA]}, headers=headers)

    for service in (preprocess, predictor):
        wait_until(lambda s=service: "prep-3" in logged_request_ids(s), what=f"{service.name} log")


def test_end_to_end_ready_names_every_check(preprocess: RunningService):
    response = httpx.get(f"{preprocess.base_url}/v2/health/ready")

    assert response.json() == {
        "ready": True,
        "checks": {"predictor": "ready", "transformer": "ready", "versions": "ready"},
    }


async def test_version_mismatch_is_409_naming_both_and_not_ready(
    predictors: dict[str, RunningService], transformer_path: Path
):
    version = json.loads((transformer_path.parent / "metadata.json").read_text())["version"]
    async with _preprocess(transformer_path, predictors["other-run"].base_url) as client:
        await wait_check(client, "transformer")
        response = await client.post("/predict", json={"rows": [SETOSA]})
        ready = await client.get("/v2/health/ready")

    assert response.status_code == 409
    assert response.json() == {
        "error": (
            f"version mismatch: preprocessing is version {version} but the predictor serves "
            f"{MODEL} version 0c7e1f2a9b3d; preprocessing and model are released as a pair: "
            "deploy both from the same training run"
        ),
        "failure": "version_mismatch",
        "preprocess_version": version,
        "predictor_model": MODEL,
        "predictor_version": "0c7e1f2a9b3d",
    }
    assert ready.status_code == 503
    assert ready.json()["checks"]["versions"].startswith("not ready: version mismatch")


async def test_a_predictor_serving_another_model_is_a_mismatch_too(
    predictors: dict[str, RunningService], transformer_path: Path
):
    async with _preprocess(transformer_path, predictors["wrong-model"].base_url) as client:
        await wait_check(client, "transformer")
        response = await client.post("/predict", json={"rows": [SETOSA]})

    assert response.status_code == 409
    assert response.json()["error"].startswith(
        f"version mismatch: the predictor does not serve {MODEL}"
    )


async def test_killed_predictor_is_502_and_not_ready(
    model_dir: Path, transformer_path: Path, log_dir: Path
):
    victim = start_predictor("victim", model_dir / MODEL / "model.onnx", log_dir)
    with running(victim):
        async with _preprocess(transformer_path, victim.base_url) as client:
            await wait_ready(client)
            before = await client.post("/predict", json={"rows": [SETOSA]})
            victim.kill()
            after = await client.post("/predict", json={"rows": [SETOSA]})
            ready = await client.get("/v2/health/ready")

    assert before.status_code == 200
    assert after.status_code == 502
    assert after.json()["failure"] == "service_failed"
    assert after.json()["reason"] == "unreachable"
    assert ready.json()["checks"]["predictor"].startswith("not ready: predictor failed")


async def test_slow_predictor_is_504(predictors: dict[str, RunningService], transformer_path: Path):
    slow = predictors["slow"].base_url
    async with _preprocess(transformer_path, slow, timeout_s=0.2) as client:
        await wait_ready(client)
        response = await client.post("/predict", json={"rows": [SETOSA]})

    assert response.status_code == 504
    assert response.json() == {
        "error": "predictor failed: no answer within 0.2 s",
        "backend": "predictor",
        "failure": "service_failed",
        "reason": "timeout",
    }


async def test_rows_that_do_not_fit_are_refused_before_the_predictor_is_asked(
    predictor: RunningService, transformer_path: Path
):
    async with _preprocess(transformer_path, predictor.base_url) as client:
        await wait_ready(client)
        response = await client.post("/predict", json={"rows": [[5.1, 3.5, 1.4]]})
        text = (await client.get("/metrics")).text

    assert response.status_code == 422
    assert response.json() == {"error": "rows[0] has 3 values but the model expects 4"}
    posts = 'preprocess_http_requests_total{method="POST",route="/predict",status="422"}'
    assert metric(text, posts) == 1
    assert (
        metric(text, 'preprocess_backend_calls_total{backend="predictor",outcome="refused"}') == 0
    )


async def test_a_tampered_transformer_never_loads(
    predictor: RunningService, transformer_path: Path, tmp_path: Path
):
    copy = tmp_path / "iris-preprocess"
    shutil.copytree(transformer_path.parent, copy)
    (copy / "transformer.json").write_text((copy / "transformer.json").read_text() + " ")

    with pytest.raises(ChecksumMismatchError):
        load_transformer(str(copy / "transformer.json"), None, 5, 16)
    async with _preprocess(copy / "transformer.json", predictor.base_url) as client:
        response = await client.post("/predict", json={"rows": [SETOSA]})

    assert response.status_code == 503
    assert response.json() == {"error": "the transformer is not loaded yet"}


def test_transformer_metadata_without_its_model_name_is_refused_naming_the_field(
    transformer_path: Path, tmp_path: Path
):
    copy = tmp_path / "iris-preprocess"
    shutil.copytree(transformer_path.parent, copy)
    metadata = json.loads((copy / "metadata.json").read_text())
    del metadata["predictor_model"]
    (copy / "metadata.json").write_text(json.dumps(metadata))

    with pytest.raises(ModelLoadError) as refused:
        load_transformer(str(copy / "transformer.json"), None, 5, 16)

    assert str(refused.value) == (
        f"{copy / 'metadata.json'} is not valid transformer metadata: "
        "predictor_model: Field required"
    )


def test_preprocessing_and_model_come_from_one_training_run(model_dir: Path):
    versions = {
        json.loads((model_dir / name / "metadata.json").read_text())["version"]
        for name in ("iris-preprocess", MODEL)
    }

    assert len(versions) == 1
