"""Scale-out: the same dbt project, on Spark, builds the same marts as on DuckDB.

Both engines run the same Dagster job on the same landing files: ingest writes each its
warehouse tables and its lake, then `dbt build` runs on the engine's target (the Spark one in a
local session, reading the lake). Spark's tables are read from the Parquet files it wrote.
Last, DuckDB builds the marts from the lake alone, as Spark does.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb
import pytest

from orchestration.cli import ensure_dagster_home
from orchestration.generate import generate
from orchestration.ingest import lake
from orchestration.run import run_batches
from orchestration.settings import Settings
from orchestration.transform.project import DBT_EXECUTABLE, dbt_project

ENGINES = ("duckdb", "spark")
MARTS = [
    "daily_result_counts",
    "engagement_result_counts",
    "engagement_summary",
    "daily_message_counts",
    "email_bounce_types_daily",
    "fct_engagement_results",
    "ingest_reconciliation",
    "quarantine_summary",
    "scorecard_email",
    "scorecard_text",
    "scorecard_voice",
    "dim_channel_status",
]
DAYS = [date(2026, 11, day) for day in (1, 2, 3, 4)]


@pytest.mark.slow
def test_spark_builds_the_marts_duckdb_builds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    landing = tmp_path / "landing"
    generate(landing, DAYS[0], len(DAYS), events_per_day=1500)

    def run(engine: str, start: date, end: date) -> None:
        root = tmp_path / engine
        for name, value in {
            "ENGAGEMENT_ENGINE": engine,
            "ENGAGEMENT_LANDING_DIR": str(landing),
            "ENGAGEMENT_WAREHOUSE": str(root / "warehouse.duckdb"),
            "ENGAGEMENT_LAKE_DIR": str(root / "lake"),
            "ENGAGEMENT_SPARK_DIR": str(root / "spark"),
            "ENGAGEMENT_SERVING_DIR": str(root / "serving"),
            "ENGAGEMENT_TIMEZONE": "America/New_York",  # reporting dates are engine SQL too
            "ENGAGEMENT_HMAC_KEY": "spark-test-key",  # the same pseudonyms on both sides
            "DAGSTER_HOME": str(root / "dagster"),
        }.items():
            monkeypatch.setenv(name, value)
        ensure_dagster_home()
        assert run_batches(start, end, settings=Settings.from_env()), f"{engine} run failed"

    # The first build (every model created), then a nightly run that adds a batch and re-runs
    # an earlier one whose files are all gone (Spark drops the partitions left without rows).
    for engine in ENGINES:
        run(engine, DAYS[0], DAYS[2])
    _assert_same_marts(tmp_path / "duckdb" / "warehouse.duckdb", _spark_tables(tmp_path))

    for folder in landing.glob(f"*/{DAYS[1].isoformat()}"):
        shutil.rmtree(folder)
    for engine in ENGINES:
        run(engine, DAYS[1], DAYS[3])
    _assert_same_marts(tmp_path / "duckdb" / "warehouse.duckdb", _spark_tables(tmp_path))

    lake_batch = lake.partition(tmp_path / "spark" / "lake", "observations", "sendgrid", DAYS[1])
    assert duckdb.sql(f"select count(*) from '{lake_batch / lake.PART}'").fetchone() == (0,)
    fact = tmp_path / "spark" / "spark" / "warehouse" / "marts.db" / "fct_engagement_results"
    assert not (fact / f"batch_date={DAYS[1].isoformat()}").exists()

    # DuckDB reads the lake too: a full build from it alone gives the same marts.
    lake_reader = tmp_path / "lake_reader.duckdb"
    monkeypatch.setenv("ENGAGEMENT_WAREHOUSE", str(lake_reader))
    subprocess.run(
        [
            DBT_EXECUTABLE,
            "build",
            "--quiet",
            "--exclude-resource-type",
            "unit_test",
            "--profiles-dir",
            str(dbt_project.profiles_dir),
            "--target-path",
            str(tmp_path / "target"),
            "--vars",
            f'{{"duckdb_reads_lake": true, "lake_dir": "{tmp_path / "duckdb" / "lake"}"}}',
        ],
        cwd=dbt_project.project_dir,
        check=True,
    )
    _assert_same_marts(
        tmp_path / "duckdb" / "warehouse.duckdb", lambda name: f"other.marts.{name}", lake_reader
    )


def _spark_tables(tmp_path: Path) -> Callable[[str], str]:
    """A mart of the Spark build: the Parquet files of its table."""
    folder = tmp_path / "spark" / "spark" / "warehouse" / "marts.db"

    def table(name: str) -> str:
        files = "**/*.parquet" if any(folder.glob(f"{name}/*=*")) else "*.parquet"
        return f"read_parquet('{folder / name / files}', hive_partitioning = true)"

    return table


def _assert_same_marts(
    warehouse: Path, other: Callable[[str], str], other_warehouse: Path | None = None
) -> None:
    """Every mart of the DuckDB warehouse equals the other build's, row for row."""
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    con.execute(f"attach '{warehouse}' as warehouse (read_only)")
    if other_warehouse:
        con.execute(f"attach '{other_warehouse}' as other (read_only)")
    for table in MARTS:
        expected = con.sql(f"select * from warehouse.marts.{table}")
        actual = con.sql(f"select {', '.join(expected.columns)} from {other(table)}")
        rows = expected.count("*").fetchone()
        assert rows is not None and rows[0] > 0, f"{table} is empty"
        assert actual.count("*").fetchone() == rows, table
        differing = con.sql(
            "select count(*) from ((from expected except all from actual) "
            "union all (from actual except all from expected))"
        ).fetchone()
        assert differing == (0,), f"{table}: rows differ between the builds"
