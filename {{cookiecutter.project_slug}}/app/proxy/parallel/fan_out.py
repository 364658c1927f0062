"""The fan-out strategy: call every backend at once; never wait past the time budget.

`deadline`: one budget for the whole fan-out. Calls still running when it ends are
cancelled and reported late. `per_backend`: each call has its own timeout and the
fan-out ends when the last call answers or times out. Either way every branch is
reported, with its outcome and latency.
"""

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from app.proxy.backends import Backend
from app.proxy.outcomes import Failed, Outcome
from app.proxy.parallel.settings import TimeoutStrategy


async def fan_out(
    backends: Sequence[Backend],
    path: str,
    body: Mapping[str, Any],
    strategy: TimeoutStrategy,
    timeout_s: float,
) -> list[Outcome]:
    """Every backend's outcome, in `backends` order, within `timeout_s` (see strategy)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    tasks = [asyncio.create_task(backend.post(path, timeout_s, json=body)) for backend in backends]
    if strategy == "per_backend":
        return list(await asyncio.gather(*tasks))
    _done, pending = await asyncio.wait(tasks, timeout=timeout_s)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
    late = loop.time() - started
    return [
        _late(backend, timeout_s, late) if task in pending else task.result()
        for backend, task in zip(backends, tasks, strict=True)
    ]


def _late(backend: Backend, deadline_s: float, seconds: float) -> Failed:
    detail = f"no answer within the fan-out's {deadline_s:g} s deadline"
    return Failed(backend.name, "timeout", detail, seconds)
