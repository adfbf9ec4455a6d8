"""A smoke run of the benchmark (tiny N), so that the script cannot rot.

It proves the benchmark runs and reports what scripts read, not any speed: numbers come from
`engagement bench` itself (README, "Performance").
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.settings import PROJECT_ROOT


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
        *["floor"] * 2,
        "two_writes",
        "warm_up",
        *["fixed"] * 2,
        "history_build",
        *["pipeline", "pipeline_with_history"] * 2,  # alternately
    ]

    assert summary == json.loads(lines[-1])
    for name in ("events", "floor_s", "two_writes_s", "pipeline_s", "fixed_s", "peak_rss_mb"):
        assert summary[name] > 0, name
    assert summary["history_ratio"] > 0

    def emitted_values(measurement: str, field: str) -> list:
        return [line[field] for line in emitted if line["measurement"] == measurement]

    # each figure is its median run's (of two, the faster), and RSS the largest
    for measurement, key, listed in (
        ("floor", "floor_s", "floor"),
        ("fixed", "fixed_s", "fixed"),
        ("pipeline", "pipeline_s", "pipeline"),
        ("pipeline_with_history", "history_pipeline_s", "history"),
    ):
        seconds = emitted_values(measurement, "seconds")
        assert summary["runs_s"][listed] == seconds
        assert summary[key] == min(seconds)
    assert summary["peak_rss_mb"] == max(emitted_values("pipeline", "peak_rss_mb"))
    assert summary["two_writes_ratio"] == round(summary["two_writes_s"] / summary["floor_s"], 2)
    assert summary["marginal_ratio"] == round(
        (summary["pipeline_s"] - summary["fixed_s"]) / summary["floor_s"], 2
    )
    assert {"ingest", "ingest.parse", "ingest.validate", "ingest.load", "dbt", "publish"} <= set(
        summary["stages"]
    )
