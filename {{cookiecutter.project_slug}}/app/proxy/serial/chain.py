"""The chain strategy: call each step in order, each step's output feeding the next.

A step's answer either transforms the rows (a feature model answers `features`, which
become the next step's input rows) or predicts them (a classifier's answer becomes the
row's prediction, and its confidence routes the rows that later conditional steps see).
A step's service failure follows its policy: `fail` ends the request (502/504), `skip`
goes on without it and says so in the report. A refusal (4xx) always ends the request:
the model judged its input, which no later step can repair.
"""

from dataclasses import dataclass, field
from typing import Any, Literal

from prometheus_client import Counter

from app.proxy.backends import Backend
from app.proxy.errors import ProxyError, model_answered, service_failed
from app.proxy.outcomes import Answered, Failed, Refused
from app.proxy.serial.settings import StepPolicy

StepStatus = Literal["ok", "skipped", "not_needed"]


@dataclass(frozen=True)
class Step:
    """One link of the chain."""

    backend: Backend
    policy: StepPolicy
    conditional: bool


@dataclass
class _State:
    """What the chain knows about each row so far."""

    rows: list[Any]
    answers: list[dict[str, Any] | None] = field(default_factory=list)
    decided_by: list[str | None] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.answers = [None] * len(self.rows)
        self.decided_by = [None] * len(self.rows)


class Chain:
    """Runs rows through the steps and reports every step, its rows and its latency."""

    def __init__(
        self, steps: list[Step], timeout_s: float, threshold: float, counter: Counter
    ) -> None:
        self._steps = steps
        self._timeout_s = timeout_s
        self._threshold = threshold
        self._counter = counter

    async def run(self, rows: list[Any]) -> dict[str, Any]:
        """Predictions for `rows` with a report per step; raises ProxyError on failure."""
        state = _State(list(rows))
        reports: list[dict[str, Any]] = []
        for step in self._steps:
            reports.append(await self._run_step(step, state, reports))
        unanswered = [index for index, answer in enumerate(state.answers) if answer is None]
        if unanswered:
            raise ProxyError(
                502,
                {
                    "error": f"no step predicted rows {unanswered}: the steps that would "
                    "have were skipped",
                    "failure": "service_failed",
                    "steps": reports,
                },
            )
        predictions = [
            {**answer, "decided_by": step}
            for answer, step in zip(state.answers, state.decided_by, strict=True)
            if answer is not None
        ]
        return {"predictions": predictions, "steps": reports}

    async def _run_step(
        self, step: Step, state: _State, reports: list[dict[str, Any]]
    ) -> dict[str, Any]:
        name = step.backend.name
        targets = self._targets(step, state)
        if not targets:
            return self._report(name, "not_needed", rows=0, reason="every row is sure")
        body = {"rows": [state.rows[index] for index in targets]}
        outcome = await step.backend.post("/predict", self._timeout_s, json=body)
        if isinstance(outcome, Answered):
            outcome = _apply(outcome, targets, state) or outcome
        if isinstance(outcome, Refused):
            self._counter.labels(name, "refused").inc()
            raise model_answered(outcome, steps=reports)
        if isinstance(outcome, Failed):
            if step.policy == "fail":
                self._counter.labels(name, "failed").inc()
                raise service_failed(outcome, steps=reports)
            return self._report(name, "skipped", len(targets), outcome.describe())
        return {
            **self._report(name, "ok", len(targets)),
            "model_name": outcome.body.get("model_name"),
            "model_version": outcome.body.get("model_version"),
            "latency_ms": round(outcome.seconds * 1000, 3),
        }

    def _targets(self, step: Step, state: _State) -> list[int]:
        if not step.conditional:
            return list(range(len(state.rows)))
        return [
            index
            for index, answer in enumerate(state.answers)
            if (confidence := _confidence(answer)) is None or confidence < self._threshold
        ]

    def _report(
        self, name: str, status: StepStatus, rows: int, reason: str | None = None
    ) -> dict[str, Any]:
        self._counter.labels(name, status).inc()
        report: dict[str, Any] = {"name": name, "status": status, "rows": rows}
        if reason is not None:
            report["reason"] = reason
        return report


def _apply(answered: Answered, targets: list[int], state: _State) -> Failed | None:
    """Fold a step's answers into the state; a Failed when the answer does not fit."""
    predictions = answered.body.get("predictions")
    if not isinstance(predictions, list) or len(predictions) != len(targets):
        detail = f"answered without one prediction per row ({len(targets)} sent)"
        return Failed(answered.backend, "bad_answer", detail, answered.seconds)
    for index, prediction in zip(targets, predictions, strict=True):
        if isinstance(prediction, dict) and "features" in prediction:
            state.rows[index] = prediction["features"]
        elif isinstance(prediction, dict):
            state.answers[index] = prediction
            state.decided_by[index] = answered.backend
    return None


def _confidence(answer: dict[str, Any] | None) -> float | None:
    probabilities = (answer or {}).get("probabilities")
    if not isinstance(probabilities, dict) or not probabilities:
        return None
    return float(max(probabilities.values()))
