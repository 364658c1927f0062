"""The edge server in-process: the bundle with ETags and 304s, readiness, the page's files."""

import json
import logging
import shutil
from pathlib import Path

import httpx
import pytest

from app.edge.app import create_app
from app.edge.settings import EdgeServerSettings
from app.model.source import sha256_hex
from tests.service.harness import eventually, wait_until_ready
from tests.support import SETOSA, serving_directory

pytestmark = pytest.mark.anyio


def settings_for(model_folder: Path, runtime_dir: Path | None = None) -> EdgeServerSettings:
    return EdgeServerSettings(
        model_uri=str(model_folder / "model.onnx"),
        edge_web_dir=str(Path(__file__).resolve().parents[2] / "web"),
        edge_runtime_dir=str(runtime_dir or model_folder / "no-runtime-here"),
    )


@pytest.fixture
async def client(bundled_model_dir: Path, tmp_path: Path):
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    (runtime / "ort-wasm-simd-threaded.mjs").write_text("export {};\n")
    app = create_app(settings_for(bundled_model_dir, runtime))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://edge") as http,
    ):
        await wait_until_ready(http)
        yield http


async def test_manifest_and_model_carry_their_sha256(client: httpx.AsyncClient, bundled_model_dir):
    manifest = await client.get("/edge/manifest")
    model = await client.get("/edge/model")

    on_disk = json.loads((bundled_model_dir / "edge" / "manifest.json").read_text())
    assert manifest.status_code == 200
    assert manifest.json() == on_disk
    assert manifest.headers["etag"] == f'"{sha256_hex(manifest.content)}"'
    assert model.status_code == 200
    assert model.headers["content-type"] == "application/octet-stream"
    digest = sha256_hex(model.content)
    assert digest == on_disk["model"]["sha256"] == model.headers["x-bundle-sha256"]
    assert model.headers["etag"] == f'"{digest}"'
    assert model.headers["x-bundle-version"] == on_disk["version"]
    assert model.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize("path", ["/edge/manifest", "/edge/model"])
async def test_a_device_holding_the_current_version_gets_304(client: httpx.AsyncClient, path):
    etag = (await client.get(path)).headers["etag"]
    for if_none_match in (etag, f'"0000", {etag}', f"W/{etag}", "*"):
        again = await client.get(path, headers={"If-None-Match": if_none_match})
        assert (again.status_code, again.content) == (304, b"")
        assert again.headers["etag"] == etag
    stale = await client.get(path, headers={"If-None-Match": '"an-older-version"'})
    assert stale.status_code == 200
    assert stale.content
    counted = f'predictor_edge_bundle_answers_total{{file="{path.rsplit("/", 1)[-1]}",outcome='
    metrics = (await client.get("/metrics")).text
    assert f'{counted}"not_modified"}} 4.0' in metrics
    assert f'{counted}"sent"}} 2.0' in metrics


async def test_predict_still_answers_server_side(client: httpx.AsyncClient):
    answer = await client.post("/predict", json={"rows": [SETOSA]})
    assert answer.status_code == 200
    assert answer.json()["predictions"][0]["label"] == "setosa"


async def test_page_and_runtime_files_with_their_mime_types(client: httpx.AsyncClient):
    page = await client.get("/edge/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "/edge/runtime/ort.wasm.min.js" in page.text
    script = await client.get("/edge/app/edge.js")
    assert script.headers["content-type"].startswith("text/javascript")
    module = await client.get("/edge/runtime/ort-wasm-simd-threaded.mjs")
    assert module.headers["content-type"].startswith("text/javascript")
    redirect = await client.get("/edge")
    assert (redirect.status_code, redirect.headers["location"]) == (308, "/edge/")


async def test_unknown_or_missing_files_are_404_naming_the_problem(client: httpx.AsyncClient):
    unknown = await client.get("/edge/runtime/secrets.txt")
    assert (unknown.status_code, unknown.json()) == (404, {"error": "no file 'secrets.txt' here"})
    escape = await client.get("/edge/app/..%2F..%2Fpyproject.toml")
    assert escape.status_code == 404
    missing = await client.get("/edge/runtime/ort.wasm.min.js")
    assert missing.status_code == 404
    assert "run `npm ci`" in missing.json()["error"]


def copy_of(folder: Path, destination: Path) -> Path:
    shutil.copytree(folder, destination)
    return destination


async def test_a_bundle_from_another_model_keeps_the_server_unready(
    bundled_model_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    folder = copy_of(bundled_model_dir, tmp_path / "models")
    manifest_path = folder / "edge" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["source_model"]["sha256"] = "0" * 64
    manifest_path.write_text(json.dumps(manifest))
    caplog.set_level(logging.INFO)
    app = create_app(settings_for(folder))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://edge") as http,
    ):
        await eventually(
            lambda: "loaded; ready" in caplog.text and "device bundle" in caplog.text,
            "the model and the bundle to load",
        )
        assert (await http.get("/v2/health/ready")).status_code == 503
        assert "exported from model.onnx 000000000000" in caplog.text
        assert "run `make bundle` for this model" in caplog.text


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("missing", "edge/manifest.json"),
        ("tampered", "checksum mismatch"),
    ],
)
async def test_a_missing_or_tampered_bundle_keeps_the_server_unready(
    bundled_model_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture, damage, message
):
    folder = copy_of(bundled_model_dir, tmp_path / "models")
    if damage == "missing":
        shutil.rmtree(folder / "edge")
    else:
        model = folder / "edge" / "model.ort"
        model.write_bytes(model.read_bytes() + b"\0")
    caplog.set_level(logging.ERROR)
    app = create_app(settings_for(folder))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://edge") as http,
    ):
        await eventually(lambda: "device bundle load failed" in caplog.text, "the load to fail")
        assert (await http.get("/v2/health/ready")).status_code == 503
        refused = await http.get("/edge/model")
        assert refused.status_code == 503
        assert refused.json() == {"error": "the device bundle is not loaded yet"}
        assert message in caplog.text


async def test_the_bundle_loads_from_a_url_beside_the_model(bundled_model_dir: Path):
    with serving_directory(bundled_model_dir) as base_url:
        settings = EdgeServerSettings(model_uri=f"{base_url}/model.onnx")
        app = create_app(settings)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://e") as http,
        ):
            await wait_until_ready(http)
            model = await http.get("/edge/model")
    on_disk = (bundled_model_dir / "edge" / "model.ort").read_bytes()
    assert (model.status_code, model.content) == (200, on_disk)
