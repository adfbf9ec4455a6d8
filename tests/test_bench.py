"""The benchmark: a smoke run (tiny N), so that the script cannot rot, and what its floor reads.

They prove what the benchmark measures and reports, not any speed: numbers come from
`engagement bench` itself (README, "Performance").
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from orchestration.floor import floor, two_writes
from orchestration.generate import generate
from orchestration.settings import PROJECT_ROOT


def test_the_floor_groups_every_event_per_day_and_the_two_writes_write_every_record(
    tmp_path: Path,
):
    first = date(2026, 3, 2)
    last = first + timedelta(days=1)
    truth = generate(tmp_path / "landing", first, 2, events_per_day=1500, seed=3)
    _, groups = floor(tmp_path / "landing", first, last)
    _, written = two_writes(tmp_path / "landing", first, last, tmp_path / "two-writes.duckdb")

    # every record of every envelope and array, but what is no record: malformed text and the
    # generator's broken files, which the benchmark leaves out
    records: Counter = Counter()
    for (source, _), count in truth.records_read.items():
        records[source] += count
    for (source, _, reason), count in truth.quarantined.items():
        if reason in ("malformed", "bad_file"):
            records[source] -= count
    assert written == records

    # a day's raw values hold at least its results (the first of each key; the floor counts
    # every copy, and the values that count nothing)
    results = Counter(
        (result.source, datetime.fromtimestamp(result.time_us / 1e6, UTC).date())
        for result in truth.results
    )
    per_day: Counter = Counter()
    for (source, value, day), count in groups.items():
        if value is not None:
            per_day[source, day] += count
    assert set(results) <= set(per_day)
    assert all(per_day[key] >= count for key, count in results.items())


@pytest.mark.slow
def test_the_benchmark_runs_end_to_end_and_ends_with_its_json_summary(tmp_path: Path):
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path / "dagster")}
    command = ["bench", "--events", "3000", "--history-days", "1", "--repeat", "2"]
    command += ["--work-dir", str(tmp_path)]
    done = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", *command],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    *emitted, summary = [json.loads(line) for line in lines if line.startswith("{")]
    measurements = [line["measurement"] for line in emitted]
    assert measurements == [
        "generate",
        "two_writes",
        "warm_up",
        "history_build",
        *["floor", "read_once", "fixed", "pipeline", "pipeline_with_history"] * 2,  # in rounds
    ]

    assert summary == json.loads(lines[-1])
    for name in ("events", "floor_s", "read_once_s", "two_writes_s", "pipeline_s", "fixed_s"):
        assert summary[name] > 0, name
    assert summary["peak_rss_mb"] > 0
    assert summary["history_ratio"] > 0

    def emitted_values(measurement: str, field: str) -> list:
        return [line[field] for line in emitted if line["measurement"] == measurement]

    # each figure is its median run's (of two, the faster), and RSS the largest
    for measurement, key, listed in (
        ("floor", "floor_s", "floor"),
        ("read_once", "read_once_s", "read_once"),
        ("fixed", "fixed_s", "fixed"),
        ("pipeline", "pipeline_s", "pipeline"),
        ("pipeline_with_history", "history_pipeline_s", "history"),
    ):
        seconds = emitted_values(measurement, "seconds")
        assert summary["runs_s"][listed] == seconds
        assert summary[key] == min(seconds)
    assert summary["peak_rss_mb"] == max(emitted_values("pipeline", "peak_rss_mb"))
    assert summary["two_writes_ratio"] == round(summary["two_writes_s"] / summary["floor_s"], 2)

    # each ratio is the lower median of the rounds' (of two, the smaller)
    def per_round(numerators: list, denominators: list) -> float:
        return round(min(n / d for n, d in zip(numerators, denominators, strict=True)), 2)

    pipelines, fixed = emitted_values("pipeline", "seconds"), emitted_values("fixed", "seconds")
    marginal = [p - f for p, f in zip(pipelines, fixed, strict=True)]
    assert summary["marginal_ratio"] == per_round(marginal, emitted_values("floor", "seconds"))
    assert summary["marginal_read_once_ratio"] == per_round(
        marginal, emitted_values("read_once", "seconds")
    )
    history = emitted_values("pipeline_with_history", "seconds")
    assert summary["history_ratio"] == per_round(history, pipelines)
    assert {"ingest", "ingest.parse", "ingest.validate", "ingest.load", "dbt", "publish"} <= set(
        summary["stages"]
    )
