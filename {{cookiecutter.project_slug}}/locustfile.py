"""Load test of the predictor (needs the `load` extra).

    locust -f locustfile.py --host http://localhost:8000
    locust -f locustfile.py --host http://localhost:8000 --headless -u 50 -r 10 -t 1m

Mostly single-row requests, as interactive clients send; some batches and some Open
Inference Protocol calls. Any non-200 answer counts as a failure.
"""

import json
import random
from pathlib import Path

from locust import FastHttpUser, between, task

# The model this project serves, as `make model` recorded it: its name, input and width.
METADATA = json.loads((Path(__file__).parent / "models" / "metadata.json").read_text())
MODEL_NAME = METADATA["name"]
(INPUT,) = METADATA["signature"]["inputs"]
N_FEATURES = INPUT["shape"][1]
# One typical flower of each class (the sample model), jittered so requests are not all
# identical; a model of your own gets rows around these values cut or padded to its width.
PROTOTYPES = [[5.0, 3.4, 1.5, 0.2], [5.9, 2.8, 4.3, 1.3], [6.6, 3.0, 5.6, 2.0]]


def random_row() -> list[float]:
    """A plausible row: an iris measurement for the sample model."""
    prototype = random.choice(PROTOTYPES)  # noqa: S311 - test data, not a secret
    values = (prototype * (N_FEATURES // len(prototype) + 1))[:N_FEATURES]
    return [round(value + random.uniform(-0.3, 0.3), 2) for value in values]  # noqa: S311


class PredictorUser(FastHttpUser):
    """A client of the predictor: mostly single rows, some batches, some v2 calls."""

    wait_time = between(0.01, 0.1)

    def on_start(self) -> None:
        """Fail fast when the model is not loaded rather than record 503s."""
        self.client.get("/v2/health/ready", name="/v2/health/ready")

    @task(8)
    def predict_one_row(self) -> None:
        """POST /predict with one row."""
        self.client.post("/predict", json={"rows": [random_row()]}, name="/predict [1 row]")

    @task(1)
    def predict_batch(self) -> None:
        """POST /predict with 32 rows."""
        rows = [random_row() for _ in range(32)]
        self.client.post("/predict", json={"rows": rows}, name="/predict [32 rows]")

    @task(1)
    def infer_v2(self) -> None:
        """POST an Open Inference Protocol request."""
        tensor = {
            "name": INPUT["name"],
            "shape": [1, N_FEATURES],
            "datatype": INPUT["datatype"],
            "data": random_row(),
        }
        self.client.post(
            f"/v2/models/{MODEL_NAME}/infer",
            json={"inputs": [tensor]},
            name="/v2/models/{name}/infer",
        )
