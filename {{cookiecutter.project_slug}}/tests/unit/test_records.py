"""The record store: rows by id, read from a path or a URL, refusing what does not fit."""

import json
from pathlib import Path

import pytest

from app.model.errors import ModelLoadError, ModelNotReadyError
from app.records import NoRecordStoreError, RecordSlot, RecordStore, UnknownRecordError
from tests.support import SETOSA, serving_directory


def test_rows_come_back_in_the_order_asked(model_dir: Path):
    store = RecordStore.load(str(model_dir / "records.json"))

    assert store.rows(["0", "0"]) == [SETOSA, SETOSA]
    assert len(store.records) == 150
    assert store.feature_names[0] == "sepal_length"


def test_unknown_ids_are_all_named(model_dir: Path):
    store = RecordStore.load(str(model_dir / "records.json"))

    with pytest.raises(UnknownRecordError, match="no record with id '150', 'abc'"):
        store.rows(["1", "150", "abc"])


def test_loads_over_http(model_dir: Path):
    with serving_directory(model_dir) as base_url:
        store = RecordStore.load(f"{base_url}/records.json", timeout_s=5)

    assert store.rows(["0"]) == [SETOSA]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "is not a valid record store"),
        (json.dumps({"records": {}}), "feature_names"),
        (json.dumps({"feature_names": ["a", "b"], "records": {"1": [1.0]}}), "do not have 2"),
    ],
)
def test_bad_files_are_refused(tmp_path: Path, content: str, message: str):
    path = tmp_path / "records.json"
    path.write_text(content)

    with pytest.raises(ModelLoadError, match=message):
        RecordStore.load(str(path))


def test_a_slot_says_whether_a_store_is_configured_and_loaded():
    unset, pending = RecordSlot(None, "X_RECORDS_URI"), RecordSlot("records.json", "X")

    assert (unset.ready, pending.ready) == (True, False)
    with pytest.raises(NoRecordStoreError, match="X_RECORDS_URI is not set"):
        unset.require()
    with pytest.raises(ModelNotReadyError):
        pending.require()
