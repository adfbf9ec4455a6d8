"""Scale-out: the same dbt project, on Spark, builds the same marts as on DuckDB.

Both engines run the same Dagster job on the same landing files: ingest writes each its
warehouse tables and its lake, then `dbt build` runs on the engine's target (the Spark one in a
local session, reading the lake). Spark's tables are read from the Parquet files it wrote.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from orchestration.cli import ensure_dagster_home
from orchestration.generate import generate
from orchestration.ingest import lake
from orchestration.run import run_batches
from orchestration.settings import Settings

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
    _assert_same_marts(tmp_path)

    for folder in landing.glob(f"*/{DAYS[1].isoformat()}"):
        shutil.rmtree(folder)
    for engine in ENGINES:
        run(engine, DAYS[1], DAYS[3])
    _assert_same_marts(tmp_path)

    lake_batch = lake.partition(tmp_path / "spark" / "lake", "observations", "sendgrid", DAYS[1])
    assert duckdb.sql(f"select count(*) from '{lake_batch / lake.PART}'").fetchone() == (0,)
    fact = tmp_path / "spark" / "spark" / "warehouse" / "marts.db" / "fct_engagement_results"
    assert not (fact / f"batch_date={DAYS[1].isoformat()}").exists()


def _assert_same_marts(tmp_path: Path) -> None:
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    con.execute(f"attach '{tmp_path / 'duckdb' / 'warehouse.duckdb'}' as warehouse (read_only)")
    spark_tables = tmp_path / "spark" / "spark" / "warehouse" / "marts.db"
    for table in MARTS:
        duck = con.sql(f"select * from warehouse.marts.{table}")
        files = "**/*.parquet" if any(spark_tables.glob(f"{table}/*=*")) else "*.parquet"
        spark = con.sql(
            f"select {', '.join(duck.columns)} "
            f"from read_parquet('{spark_tables / table / files}', hive_partitioning = true)"
        )
        rows = duck.count("*").fetchone()
        assert rows is not None and rows[0] > 0, f"{table} is empty"
        assert spark.count("*").fetchone() == rows, table
        differing = con.sql(
            "select count(*) from ((from duck except all from spark) "
            "union all (from spark except all from duck))"
        ).fetchone()
        assert differing == (0,), f"{table}: rows differ between DuckDB and Spark"
