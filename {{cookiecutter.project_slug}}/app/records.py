"""A record store: feature rows looked up by id, for requests that name records, not values.

The sample store is a JSON file written by the training script (the iris table by row
number), read once at start-up from a path or an http(s) URL. A real deployment swaps
`RecordStore.load` for its database or feature-store client; callers only use `rows`.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.model.errors import InvalidInputError, ModelError, ModelLoadError, ModelNotReadyError
from app.model.source import fetch_file

RECORDS_FILE_NAME = "records.json"


class UnknownRecordError(InvalidInputError):
    """A request named ids the store does not hold."""


class NoRecordStoreError(ModelError):
    """A request named ids, but this service was given no record store to look them up in."""


class RecordsFile(BaseModel):
    """records.json: rows of feature values keyed by record id."""

    model_config = ConfigDict(extra="allow", frozen=True)

    feature_names: list[str] = Field(min_length=1)
    records: dict[str, list[float]]


@dataclass(frozen=True)
class RecordStore:
    """Rows by id, all of the same width."""

    feature_names: list[str]
    records: dict[str, list[float]]

    @classmethod
    def load(cls, uri: str, timeout_s: float = 30.0) -> "RecordStore":
        """Read and check the store at `uri`; raises ModelLoadError naming the problem."""
        raw, location = fetch_file(uri, timeout_s)
        try:
            parsed = RecordsFile.model_validate(json.loads(raw))
        except (ValueError, ValidationError) as error:
            raise ModelLoadError(f"{location} is not a valid record store: {error}") from error
        width = len(parsed.feature_names)
        uneven = [key for key, row in parsed.records.items() if len(row) != width]
        if uneven:
            raise ModelLoadError(f"{location}: records {uneven[:5]} do not have {width} values")
        return cls(parsed.feature_names, dict(parsed.records))

    def rows(self, ids: Sequence[str]) -> list[list[float]]:
        """The rows of `ids`, in order; raises UnknownRecordError naming every missing id."""
        missing = [record_id for record_id in ids if record_id not in self.records]
        if missing:
            shown = ", ".join(repr(record_id) for record_id in missing[:10])
            raise UnknownRecordError(f"no record with id {shown}")
        return [self.records[record_id] for record_id in ids]


class RecordSlot:
    """The record store a service may be configured with; filled once it has loaded."""

    def __init__(self, uri: str | None, setting: str) -> None:
        self.uri = uri
        self.store: RecordStore | None = None
        self._setting = setting

    @property
    def ready(self) -> bool:
        """True when no store is configured, or the configured one has loaded."""
        return self.uri is None or self.store is not None

    async def rows(self, ids: Sequence[str]) -> list[list[float]]:
        """The rows of `ids` (RecordSource): the file is in memory, so this never waits."""
        return self.require().rows(ids)

    def require(self) -> RecordStore:
        """The loaded store; NoRecordStoreError when none is configured, not-ready before."""
        if self.uri is None:
            raise NoRecordStoreError(f"ids cannot be looked up here: {self._setting} is not set")
        if self.store is None:
            raise ModelNotReadyError("the record store is not loaded yet")
        return self.store
