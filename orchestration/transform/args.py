"""The dbt command line for a run: a pure function of the partition window and the run config."""

from __future__ import annotations

import json
from datetime import date, timedelta


def dbt_build_args(window: tuple[date, date] | None, *, full_refresh: bool = False) -> list[str]:
    """`dbt build` for the batch dates [start, end) of the run, or for every batch without one.

    Unit tests (fixed inputs, no warehouse data) run in the test suite, not every night.
    """
    args = ["build", "--exclude-resource-type", "unit_test"]
    if window is not None:
        start, end = window
        if end <= start:
            raise ValueError(f"empty batch window {start} .. {end}")
        batches = {
            "min_batch_date": start.isoformat(),
            "max_batch_date": (end - timedelta(days=1)).isoformat(),
        }
        args += ["--vars", json.dumps(batches)]
    if full_refresh:
        args.append("--full-refresh")
    return args
