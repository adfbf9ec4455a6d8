"""Configuration from the environment: defaults under data/, clear errors before any write."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from orchestration.settings import DATA_DIR, PROJECT_ROOT, ConfigError, Settings
from orchestration.transform.args import dbt_build_args, dbt_build_env
from orchestration.transform.project import (
    KEPT_STATES,
    PARTIAL_PARSE_FILE,
    deployment,
    keep_parse_state,
    start_from_parse_state,
)


def test_defaults_live_under_data():
    settings = Settings.from_env({})
    assert settings.landing_dir == DATA_DIR / "landing"
    assert settings.warehouse == DATA_DIR / "warehouse.duckdb"
    assert settings.timezone == "UTC"
    assert settings.dedupe_window_days == 7
    assert settings.lake_dir == DATA_DIR / "lake"
    assert settings.engine == "duckdb"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ENGAGEMENT_TIMEZONE": "Mars/Olympus"}, "IANA time zone"),
        ({"ENGAGEMENT_WAREHOUSE": "/tmp"}, "is a directory"),
        ({"ENGAGEMENT_WAREHOUSE": "/tmp/warehouse.db"}, "must end in .duckdb"),
        ({"ENGAGEMENT_DEDUPE_WINDOW_DAYS": "3"}, "minimum of 7"),
        ({"ENGAGEMENT_DEDUPE_WINDOW_DAYS": "week"}, "whole number"),
        ({"ENGAGEMENT_ENGINE": "snowflake"}, "not one of duckdb, spark"),
        ({"ENGAGEMENT_DBT_THREADS": "abc"}, "ENGAGEMENT_DBT_THREADS='abc' is not a whole number"),
        ({"ENGAGEMENT_DBT_THREADS": "0"}, "minimum of 1"),
        ({"ENGAGEMENT_DBT_MEMORY_LIMIT": "lots"}, "not a size such as 768MB"),
    ],
)
def test_bad_values_are_clear_errors(env, message):
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


def test_the_cli_refuses_a_bad_time_zone_before_writing_anything(tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    warehouse = tmp_path / "w.duckdb"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "orchestration.cli",
            "run",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-02",
        ],
        env={
            "ENGAGEMENT_TIMEZONE": "Not/AZone",
            "ENGAGEMENT_LANDING_DIR": str(landing),
            "ENGAGEMENT_WAREHOUSE": str(warehouse),
            "DAGSTER_HOME": str(tmp_path / "dh"),
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=60,
    )
    assert result.returncode == 2
    assert "ENGAGEMENT_TIMEZONE='Not/AZone' is not an IANA time zone" in result.stderr
    assert not warehouse.exists() and not (tmp_path / "dh").exists()


def test_the_cli_refuses_a_reversed_range_and_a_missing_landing_dir(tmp_path):
    base = {
        "ENGAGEMENT_WAREHOUSE": str(tmp_path / "w.duckdb"),
        "PATH": "/usr/bin:/bin",
        "ENGAGEMENT_LANDING_DIR": str(tmp_path / "nowhere"),
    }
    run = [sys.executable, "-m", "orchestration.cli", "run"]
    missing = subprocess.run(
        [*run, "--from", "2026-11-01", "--to", "2026-11-02"],
        env=base,
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=60,
    )
    assert missing.returncode == 2 and "is not a directory" in missing.stderr
    (tmp_path / "nowhere").mkdir()
    reversed_ = subprocess.run(
        [*run, "--from", "2026-11-02", "--to", "2026-11-01"],
        env=base,
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=60,
    )
    assert reversed_.returncode == 2 and "is before --from" in reversed_.stderr


def test_dbt_gets_the_partition_window_and_the_resolved_warehouse_in_its_environment(
    tmp_path, monkeypatch
):
    from datetime import date

    monkeypatch.chdir(tmp_path)  # dbt runs from the project root: a relative path would move
    assert dbt_build_env((date(2026, 11, 1), date(2026, 11, 8)), Path("wh/w.duckdb")) == {
        "ENGAGEMENT_DBT_MIN_BATCH_DATE": "2026-11-01",
        "ENGAGEMENT_DBT_MAX_BATCH_DATE": "2026-11-07",
        "ENGAGEMENT_WAREHOUSE": str(tmp_path / "wh" / "w.duckdb"),
    }
    with pytest.raises(ValueError, match="empty batch window"):
        dbt_build_env((date(2026, 11, 2), date(2026, 11, 2)), tmp_path / "w.duckdb")
    # The command line stays the same from run to run, so dbt's partial parsing holds.
    assert dbt_build_args() == ["build", "--exclude-resource-type", "unit_test"]
    assert dbt_build_args(full_refresh=True)[-1] == "--full-refresh"


def test_dbt_args_tell_a_spark_build_where_the_lake_is(tmp_path):
    assert dbt_build_args(lake_dir=tmp_path)[-2:] == [
        "--vars",
        f'{{"lake_dir": "{tmp_path}"}}',
    ]


def test_each_deployment_starts_dbt_from_the_parse_state_its_last_run_kept(tmp_path):
    project = SimpleNamespace(project_dir=tmp_path, target_path=Path("target"))
    warehouses = [Path(f"/warehouses/{n}.duckdb") for n in range(KEPT_STATES + 2)]
    deployments = [deployment("duckdb", warehouse) for warehouse in warehouses]
    for n, kept_for in enumerate(deployments):  # each a run that parsed, then kept its state
        (tmp_path / "run").mkdir()
        (tmp_path / "run" / PARTIAL_PARSE_FILE).write_text(f"state {n}")
        keep_parse_state(tmp_path / "run", kept_for, project)
        shutil.rmtree(tmp_path / "run")
        for kept in (tmp_path / "target").rglob("*.msgpack"):  # the order kept, to the second
            if kept.read_text() == f"state {n}":
                os.utime(kept, (n, n))

    def started(key: str) -> str | None:
        start_from_parse_state(tmp_path / "next", key, project)
        state = tmp_path / "next" / PARTIAL_PARSE_FILE
        text = state.read_text() if state.exists() else None
        shutil.rmtree(tmp_path / "next", ignore_errors=True)
        return text

    assert started(deployments[-1]) == f"state {KEPT_STATES + 1}"
    assert started(deployments[2]) == "state 2"
    assert started(deployments[0]) is None  # the oldest states are pruned
    assert started(deployment("spark", Path("/warehouses/2.duckdb"))) is None  # another engine
    assert len(list((tmp_path / "target").rglob("*.msgpack"))) == KEPT_STATES


def test_a_failed_run_names_the_failed_step_and_calls_a_warning_a_warning(env, capsys):
    from datetime import date

    from orchestration.run import run_batches

    env.write("sendgrid", "2026-11-01", "bad.jsonl", ["not json"])  # all quarantined: a warning
    (env.root / "serving").write_text("a file where the serving folder goes")  # publish fails
    assert not run_batches(date(2026, 11, 1), date(2026, 11, 1), settings=env.settings())
    report = capsys.readouterr().err
    assert "step serving__warehouse:" in report
    assert "check ingest/sendgrid:quarantine_rate warned" in report
    assert "quarantine_rate failed" not in report
