"""A run killed mid-way, then run again: every record predicted once, none twice, none missed."""

from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.batch.harness import predicted_ids, record_ids, run_command, runs, seed


@pytest.mark.parametrize("policy", ["partial", "all"])
def test_a_rerun_after_a_crash_leaves_no_duplicates_and_no_gaps(
    engine: Engine, db_url: str, model_path: Path, policy: str
):
    seed(engine, 100)
    args = ["run", "--pending", "--chunk-size", "20", "--policy", policy]

    crashed = run_command(args, db_url, model_path, FAULT_CRASH_AFTER_CHUNKS="2")

    assert crashed.returncode == 137, crashed.stderr
    written = predicted_ids(engine)
    # Chunks are committed as they go under `partial`; `all` commits the range or nothing.
    assert len(written) == (40 if policy == "partial" else 0)
    assert runs(engine)[0]["status"] == "running"

    rerun = run_command(args, db_url, model_path)

    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert predicted_ids(engine) == record_ids(engine)
    assert len(set(predicted_ids(engine))) == 100
