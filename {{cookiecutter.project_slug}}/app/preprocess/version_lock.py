"""Preprocessing and model are released as a pair: refuse to serve a mismatched pair.

The lock reads the predictor's model version from its Open Inference Protocol metadata
(GET /v2/models/{name}) and trusts it for a short interval; every answer's own
`model_version` is checked too, so a predictor swapped between checks is caught at once.
A mismatch is 409 naming both versions; readiness is false while it lasts.
"""

import time
from typing import Any

from app.proxy.backends import Backend
from app.proxy.errors import ProxyError, service_failed
from app.proxy.outcomes import Answered, Failed, Refused


class VersionLock:
    """Compares this service's version with the predictor's model version."""

    def __init__(
        self,
        predictor: Backend,
        model_name: str,
        version: str,
        interval_s: float,
        timeout_s: float,
    ) -> None:
        self._predictor = predictor
        self._model_name = model_name
        self._version = version
        self._interval_s = interval_s
        self._timeout_s = timeout_s
        self._known: str | None = None
        self._checked_at = float("-inf")

    async def check(self) -> None:
        """Raise ProxyError: 409 on a mismatch, 502/504 when the version cannot be read."""
        if time.monotonic() - self._checked_at > self._interval_s:
            await self._refresh()
        self.confirm(self._known)

    def confirm(self, predictor_version: object) -> None:
        """Raise a 409 unless `predictor_version` (e.g. from an answer) is this version."""
        if predictor_version == self._version:
            return
        self._known = str(predictor_version)
        raise ProxyError(409, self.mismatch())

    def mismatch(self) -> dict[str, Any]:
        """The 409 body: both versions and what to do about it."""
        return {
            "error": (
                f"version mismatch: preprocessing is version {self._version} but the predictor "
                f"serves {self._model_name} version {self._known}; preprocessing and model are "
                "released as a pair: deploy both from the same training run"
            ),
            "failure": "version_mismatch",
            "preprocess_version": self._version,
            "predictor_model": self._model_name,
            "predictor_version": self._known,
        }

    async def state(self) -> str:
        """For readiness: "ready", or why not (mismatch, or the version cannot be read)."""
        try:
            await self._refresh()
            self.confirm(self._known)
        except ProxyError as error:
            return f"not ready: {error.body['error']}"
        return "ready"

    async def _refresh(self) -> None:
        path = f"/v2/models/{self._model_name}"
        outcome = await self._predictor.get(path, self._timeout_s)
        if isinstance(outcome, Refused):
            # The predictor serves some other model: as wrong a pair as a version mismatch.
            self._known = None
            body = self.mismatch()
            body["error"] = (
                f"version mismatch: the predictor does not serve {self._model_name}, the model "
                f"this preprocessing (version {self._version}) was fitted for: {outcome.error}"
            )
            raise ProxyError(409, body)
        if isinstance(outcome, Failed):
            raise service_failed(outcome)
        self._known = _version_of(outcome)
        self._checked_at = time.monotonic()


def _version_of(outcome: Answered) -> str | None:
    versions = outcome.body.get("versions")
    if isinstance(versions, list) and versions:
        return str(versions[0])
    return None
