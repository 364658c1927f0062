"""Each request carries an id: taken from X-Request-ID or made, echoed, and logged."""

import re
from pathlib import Path

import httpx
import pytest

from app.settings import PredictorSettings
from tests.service.harness import running_app, wait_until_ready
from tests.support import SETOSA, json_lines

pytestmark = pytest.mark.anyio


async def test_client_id_is_echoed(client: httpx.AsyncClient):
    response = await client.get("/v2/health/live", headers={"X-Request-ID": "abc-123"})

    assert response.headers["x-request-id"] == "abc-123"


async def test_id_is_generated_when_absent(client: httpx.AsyncClient):
    first = (await client.get("/v2/health/live")).headers["x-request-id"]
    second = (await client.get("/v2/health/live")).headers["x-request-id"]

    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second


async def test_unsafe_ids_are_replaced(client: httpx.AsyncClient):
    response = await client.get("/v2/health/live", headers={"X-Request-ID": "a b\t{c}"})

    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])


async def test_log_lines_are_json_and_carry_the_id(
    model_path: Path, capsys: pytest.CaptureFixture[str]
):
    async with running_app(PredictorSettings(model_uri=str(model_path))) as client:
        await wait_until_ready(client)
        capsys.readouterr()
        await client.post("/predict", json={"rows": [SETOSA]}, headers={"X-Request-ID": "ok-1"})
        await client.post("/predict", json={"rows": []}, headers={"X-Request-ID": "bad-1"})

    lines = json_lines(capsys.readouterr().out)
    access = {line["request_id"]: line for line in lines if line["logger"] == "app.http.access"}
    assert access["ok-1"]["status"] == 200
    assert access["ok-1"]["path"] == "/predict"
    assert access["ok-1"]["duration_ms"] > 0
    assert access["bad-1"]["status"] == 422
    rejected = [line for line in lines if line["message"].startswith("rejected request")]
    assert [line["request_id"] for line in rejected] == ["bad-1"]
    assert "batch is empty" in rejected[0]["message"]
