"""Start the predictor exactly as deployments do: uvicorn in its own process, real HTTP."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.processes import PREDICTOR, RunningService, running, start_service

RunningServer = RunningService


@contextmanager
def uvicorn_server(env: dict[str, str], log_dir: Path) -> Iterator[RunningServer]:
    """Run `uvicorn app.http.predictor:create_app --factory` on a free port until exit."""
    with running(start_service("predictor", PREDICTOR, env, log_dir), ready=False) as (server,):
        yield server
