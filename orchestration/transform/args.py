"""The dbt command line for a run: a pure function of the partition window and the run config."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path


def dbt_build_args(
    window: tuple[date, date] | None,
    *,
    full_refresh: bool = False,
    lake_dir: Path | None = None,
) -> list[str]:
    """`dbt build` for the batch dates [start, end) of the run, or for every batch without one;
    `lake_dir` is where a Spark build reads the ingest tables.

    Unit tests (fixed inputs, no warehouse data) run in the test suite, not every night.
    """
    args = ["build", "--exclude-resource-type", "unit_test"]
    dbt_vars = {}
    if window is not None:
        start, end = window
        if end <= start:
            raise ValueError(f"empty batch window {start} .. {end}")
        dbt_vars["min_batch_date"] = start.isoformat()
        dbt_vars["max_batch_date"] = (end - timedelta(days=1)).isoformat()
    if lake_dir is not None:
        dbt_vars["lake_dir"] = str(lake_dir)
    if dbt_vars:
        args += ["--vars", json.dumps(dbt_vars)]
    if full_refresh:
        args.append("--full-refresh")
    return args
