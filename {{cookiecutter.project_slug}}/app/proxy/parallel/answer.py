"""Turn the branches' outcomes into the proxy's answer: a report per branch, and the
combined prediction, or one error that says what kind of failure stopped every branch."""

from typing import Any

from fastapi import status

from app.proxy.errors import ProxyError
from app.proxy.outcomes import Answered, Failed, Outcome, Refused
from app.proxy.parallel.aggregate import aggregate
from app.proxy.parallel.settings import Aggregation


def branch_report(outcome: Outcome) -> dict[str, Any]:
    """One branch: its status, latency, and its model's answer or what went wrong."""
    report: dict[str, Any] = {"name": outcome.backend}
    if isinstance(outcome, Answered):
        report |= {
            "status": "ok",
            "model_name": outcome.body.get("model_name"),
            "model_version": outcome.body.get("model_version"),
            "predictions": outcome.body.get("predictions"),
        }
    elif isinstance(outcome, Refused):
        report |= {"status": "refused", "http_status": outcome.status, "error": outcome.describe()}
    else:
        report |= {"status": _failed_status(outcome), "error": outcome.describe()}
    report["latency_ms"] = round(outcome.seconds * 1000, 3)
    return report


def combine(outcomes: list[Outcome], kind: Aggregation, rows: int) -> dict[str, Any]:
    """The answer body; raises ProxyError when no branch's model answered."""
    answered = [o for o in outcomes if isinstance(o, Answered) and _fits(o, rows)]
    reports = [branch_report(outcome) for outcome in outcomes]
    if not answered:
        raise _no_answer(outcomes, reports)
    body: dict[str, Any] = {"aggregation": kind}
    combined = aggregate(kind, [o.body["predictions"] for o in answered])
    if combined is not None:
        body["predictions"] = combined
        body["answered_by"] = [o.backend for o in answered]
    body["branches"] = reports
    return body


def _fits(outcome: Answered, rows: int) -> bool:
    predictions = outcome.body.get("predictions")
    return isinstance(predictions, list) and len(predictions) == rows


def _failed_status(outcome: Failed) -> str:
    return "timeout" if outcome.reason == "timeout" else "failed"


def _no_answer(outcomes: list[Outcome], reports: list[dict[str, Any]]) -> ProxyError:
    refusals = [o for o in outcomes if isinstance(o, Refused)]
    if refusals and len(refusals) == len(outcomes):
        first = refusals[0]
        body = {"error": first.describe(), "failure": "model_answered", "branches": reports}
        return ProxyError(first.status, body)
    timeouts = all(isinstance(o, Failed) and o.reason == "timeout" for o in outcomes)
    code = status.HTTP_504_GATEWAY_TIMEOUT if timeouts else status.HTTP_502_BAD_GATEWAY
    error = "no backend answered: " + "; ".join(
        o.describe() for o in outcomes if isinstance(o, Failed | Refused)
    )
    return ProxyError(code, {"error": error, "failure": "service_failed", "branches": reports})
