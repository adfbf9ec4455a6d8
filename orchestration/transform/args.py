"""The dbt command line for a run: pure functions of the partition window and the run config."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path


def dbt_build_args(*, full_refresh: bool = False, lake_dir: Path | None = None) -> list[str]:
    """`dbt build`; `lake_dir` is where a Spark build reads the ingest tables.

    Unit tests (fixed inputs, no warehouse data) run in the test suite, not every night.
    """
    args = ["build", "--exclude-resource-type", "unit_test"]
    if lake_dir is not None:
        args += ["--vars", json.dumps({"lake_dir": str(lake_dir)})]
    if full_refresh:
        args.append("--full-refresh")
    return args


def dbt_build_env(window: tuple[date, date], warehouse: Path) -> dict[str, str]:
    """The batch dates [start, end) of the run, inclusive, for dbt's macro run_batch_dates, and
    the warehouse as the run resolved it (dbt would read a relative path from its project root).

    In the environment rather than in `--vars`: dbt parses the whole project again whenever its
    vars change, which they would every run.
    """
    start, end = window
    if end <= start:
        raise ValueError(f"empty batch window {start} .. {end}")
    return {
        "ENGAGEMENT_DBT_MIN_BATCH_DATE": start.isoformat(),
        "ENGAGEMENT_DBT_MAX_BATCH_DATE": (end - timedelta(days=1)).isoformat(),
        "ENGAGEMENT_WAREHOUSE": str(warehouse.resolve()),
    }
