"""`python -m app.batch` as the image and the CronJob run it: output and exit status."""

import json
from pathlib import Path

from sqlalchemy import Engine

from tests.batch.harness import failures, predicted_ids, record_ids, run_command
from tests.support import json_lines


def test_seed_run_and_runs_print_what_happened(engine: Engine, db_url: str, model_path: Path):
    seeded = run_command(["seed", "--count", "300"], db_url, model_path)
    assert seeded.returncode == 0, seeded.stderr

    ran = run_command(
        ["run", "--chunk-size", "50"], db_url, model_path, BATCH_PROGRESS_INTERVAL_S="0.000001"
    )

    assert ran.returncode == 0, ran.stderr
    lines = json_lines(ran.stdout)
    progress = [line for line in lines if line["message"].startswith("progress ")]
    assert progress
    assert {"records_per_s", "eta_s", "done", "total"} <= set(progress[-1])
    summary = lines[-1]
    assert summary["message"].startswith(f"run {summary['run_id']} succeeded: 300 selected")
    assert (summary["ok"], summary["failed"], summary["exit_code"]) == (300, 0, 0)
    assert predicted_ids(engine) == record_ids(engine)

    shown = run_command(["runs"], db_url, model_path)
    assert shown.returncode == 0
    header, row = shown.stdout.splitlines()[:2]
    assert header.split()[:3] == ["id", "status", "policy"]
    assert row.split()[1:3] == ["succeeded", "partial"]


def test_failures_left_for_the_next_run_exit_3(engine: Engine, db_url: str, model_path: Path):
    run_command(["seed", "--count", "40"], db_url, model_path)

    ran = run_command(["run", "--policy", "none"], db_url, model_path, FAULT_FAIL_RECORD_IDS="3,4")

    assert ran.returncode == 3, ran.stderr
    assert json.loads(ran.stdout.splitlines()[-1])["failed"] == 2
    assert sorted(failures(engine)) == [3, 4]


def test_invalid_arguments_exit_2_naming_the_problem(db_url: str, model_path: Path):
    backwards = run_command(
        ["run", "--since", "2025-06-02", "--until", "2025-06-01"], db_url, model_path
    )
    assert backwards.returncode == 2
    assert "is not before" in backwards.stderr

    unknown_policy = run_command(["run", "--policy", "some"], db_url, model_path)
    assert unknown_policy.returncode == 2
    assert "--policy" in unknown_policy.stderr


def test_an_unreachable_database_exits_1_and_says_so(model_path: Path):
    ran = run_command(
        ["run"],
        "postgresql://nobody@127.0.0.1:9/none",
        model_path,
        BATCH_DATABASE_WAIT_S="0",
    )

    assert ran.returncode == 1
    assert "cannot connect" in ran.stdout
