"""Every malformed or out-of-contract request gets a 4xx whose message names the problem."""

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.service.harness import MAX_BATCH_SIZE, MAX_BODY_BYTES
from tests.support import MODEL_NAME, SETOSA

pytestmark = pytest.mark.anyio

PREDICT = "/predict"
INFER = f"/v2/models/{MODEL_NAME}/infer"
FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
JSON = {"content-type": "application/json"}


def _body(value: object) -> bytes:
    return json.dumps(value).encode()


def _tensor(**changes: object) -> bytes:
    tensor = {"name": "input", "shape": [1, 4], "datatype": "FP32", "data": SETOSA, **changes}
    return _body({"inputs": [tensor]})


# (id, path, raw body, expected status, words the error message must contain)
CASES = [
    ("malformed json", PREDICT, b'{"rows": [[1, 2, 3, 4]', 400, "not valid JSON"),
    ("invalid utf-8", PREDICT, b'{"rows": [["\xff"]]}', 400, "parsing the body"),
    ("huge integer literal", PREDICT, b'{"rows": [[' + b"9" * 5000 + b", 1, 2, 3]]}", 400, ""),
    ("top-level array", PREDICT, _body([SETOSA]), 422, "the body must be a JSON object"),
    ("no rows", PREDICT, _body({}), 422, "rows: Field required"),
    ("extra key", PREDICT, _body({"rows": [SETOSA], "model": "x"}), 422, "model: Extra inputs"),
    ("rows not a list", PREDICT, _body({"rows": "1,2,3,4"}), 422, "rows"),
    ("row is a string", PREDICT, _body({"rows": ["1,2,3,4"]}), 422, "rows.0"),
    ("empty batch", PREDICT, _body({"rows": []}), 422, "batch is empty"),
    ("short row", PREDICT, _body({"rows": [[1, 2, 3]]}), 422, "rows[0] has 3 values"),
    ("long row", PREDICT, _body({"rows": [SETOSA, [1, 2, 3, 4, 5]]}), 422, "rows[1] has 5"),
    (
        "string value",
        PREDICT,
        _body({"rows": [[1, "2", 3, 4]]}),
        422,
        "rows[0][1] must be a number",
    ),
    ("bool value", PREDICT, _body({"rows": [[1, 2, True, 4]]}), 422, "the boolean true"),
    ("null value", PREDICT, _body({"rows": [[None, 2, 3, 4]]}), 422, "got null"),
    ("nested value", PREDICT, _body({"rows": [[[1], 2, 3, 4]]}), 422, "got an array"),
    ("NaN", PREDICT, b'{"rows": [[NaN, 1, 2, 3]]}', 422, "rows[0][0] is not a finite number"),
    ("Infinity", PREDICT, b'{"rows": [[1, Infinity, 2, 3]]}', 422, "rows[0][1] is not a finite"),
    ("-Infinity", PREDICT, b'{"rows": [[1, 2, -Infinity, 3]]}', 422, "not a finite number"),
    ("overflowing float", PREDICT, b'{"rows": [[1, 2, 3, 1e400]]}', 422, "not a finite number"),
    ("beyond float32", PREDICT, _body({"rows": [[1, 2, 3, 1e39]]}), 422, "range of float32"),
    ("huge integer", PREDICT, _body({"rows": [[10**300, 2, 3, 4]]}), 422, "range of float32"),
    (
        "unknown feature",
        PREDICT,
        _body({"rows": [{**dict.fromkeys(FEATURES, 1.0), "colour": 1.0}]}),
        422,
        "unknown features colour",
    ),
    (
        "missing feature",
        PREDICT,
        _body({"rows": [{"sepal_length": 1.0}]}),
        422,
        "missing features sepal_width",
    ),
    (
        "batch too large",
        PREDICT,
        _body({"rows": [SETOSA] * (MAX_BATCH_SIZE + 1)}),
        413,
        f"more than the maximum of {MAX_BATCH_SIZE}",
    ),
    ("body too large", PREDICT, b" " * (MAX_BODY_BYTES + 1), 413, "more than the maximum"),
    ("v2 malformed json", INFER, b'{"inputs": [', 400, "not valid JSON"),
    ("v2 no inputs", INFER, _body({}), 400, "inputs: Field required"),
    ("v2 empty inputs", INFER, _body({"inputs": []}), 400, "inputs"),
    ("v2 wrong input name", INFER, _tensor(name="features"), 400, "no input 'features'"),
    ("v2 wrong datatype", INFER, _tensor(datatype="INT64"), 400, "datatype INT64, but"),
    ("v2 lowercase datatype", INFER, _tensor(datatype="fp32"), 400, "datatype fp32"),
    ("v2 wrong rank", INFER, _tensor(shape=[4]), 400, "shape [4], but the model expects"),
    ("v2 wrong width", INFER, _tensor(shape=[1, 3], data=[1, 2, 3]), 400, "shape [1, 3]"),
    ("v2 shape vs data", INFER, _tensor(shape=[2, 4]), 400, "has 4 values, but shape [2, 4]"),
    ("v2 negative dim", INFER, _tensor(shape=[-1, 4]), 400, "negative dimensions"),
    ("v2 string dim", INFER, _tensor(shape=["1", 4]), 400, "shape.0"),
    ("v2 string value", INFER, _tensor(data=[1, "x", 3, 4]), 400, "data[1] must be a number"),
    ("v2 NaN", INFER, _tensor(data=[1, 2, 3, float("nan")]), 400, "data[3] is not a finite"),
    ("v2 empty batch", INFER, _tensor(shape=[0, 4], data=[]), 400, "batch is empty"),
    (
        "v2 batch too large",
        INFER,
        _tensor(shape=[MAX_BATCH_SIZE + 1, 4], data=SETOSA * (MAX_BATCH_SIZE + 1)),
        413,
        "more than the maximum",
    ),
    (
        "v2 unknown output",
        INFER,
        _body({"inputs": json.loads(_tensor())["inputs"], "outputs": [{"name": "scores"}]}),
        400,
        "no output 'scores'",
    ),
    ("v2 unknown model", "/v2/models/other/infer", _tensor(), 404, "unknown model 'other'"),
]


@pytest.mark.parametrize(
    ("path", "body", "status", "words"), [case[1:] for case in CASES], ids=[c[0] for c in CASES]
)
async def test_bad_request_is_a_named_4xx(
    client: httpx.AsyncClient, path: str, body: bytes, status: int, words: str
):
    response = await client.post(path, content=body, headers=JSON)

    assert response.status_code == status, response.text
    assert words in response.json()["error"]
    assert response.headers["x-request-id"]


async def test_body_without_json_content_type_is_refused(client: httpx.AsyncClient):
    response = await client.post(PREDICT, content=_body({"rows": [SETOSA]}))

    assert response.status_code == 422
    assert "Content-Type: application/json" in response.json()["error"]


async def test_chunked_body_too_large_is_refused_too(client: httpx.AsyncClient):
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(3):
            yield b" " * MAX_BODY_BYTES

    response = await client.post(PREDICT, content=chunks(), headers=JSON)

    assert response.status_code == 413
    assert "more than the maximum of 8192" in response.json()["error"]
    assert response.headers["x-request-id"]


async def test_unknown_route_and_wrong_method_are_4xx(client: httpx.AsyncClient):
    assert (await client.get("/nope")).status_code == 404
    assert (await client.get(PREDICT)).status_code == 405
