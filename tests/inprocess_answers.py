"""Run inside a generated project's virtualenv: answer example requests in-process.

Reads a JSON list of requests on stdin, serves them with the project's own app (no server,
no network: httpx's ASGI transport with the app's lifespan running) and prints the answers
as JSON, so the container tier can check that the images answer exactly the same.
"""

import asyncio
import json
import sys
from typing import Any

import httpx
from app.http.predictor import create_app
from app.settings import PredictorSettings


async def answer(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # Quiet: the answers are the only thing printed on stdout.
    app = create_app(PredictorSettings(model_uri="models/model.onnx", log_level="WARNING"))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://in-process") as client:
            while (await client.get("/v2/health/ready")).status_code != 200:
                await asyncio.sleep(0.05)
            answers = []
            for request in requests:
                response = await client.request(
                    request["method"],
                    request["path"],
                    json=request["body"],
                    headers=request["headers"],
                )
                answers.append({"status": response.status_code, "body": response.json()})
    return answers


if __name__ == "__main__":
    print(json.dumps(asyncio.run(answer(json.load(sys.stdin)))))
