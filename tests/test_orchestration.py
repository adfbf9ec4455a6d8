"""Dagster orchestration: the graph's shape, the nightly schedule, the landing sensor, the pool,
freshness, and PostgreSQL storage for a shared deployment."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from orchestration.definitions import JOB_NAME, build_definitions
from orchestration.partitions import WAREHOUSE_POOL
from orchestration.settings import PROJECT_ROOT, Settings
from tests.conftest import Environment

SNAPSHOT = Path(__file__).parent / "snapshots" / "definitions.json"


def shape(defs: dg.Definitions) -> dict:
    graph = defs.resolve_asset_graph()
    return {
        "assets": {
            key.to_user_string(): graph.get(key).group_name
            for key in sorted(graph.get_all_asset_keys())
            if graph.get(key).is_materializable
        },
        "checks": sorted(key.to_user_string() for key in graph.asset_check_keys),
        "jobs": sorted(
            job.name for job in defs.resolve_all_job_defs() if job.name != "__ASSET_JOB"
        ),
        "schedules": {s.name: [s.cron_schedule, s.execution_timezone] for s in defs.schedules},
        "sensors": sorted(s.name for s in defs.sensors),
    }


def test_the_definitions_have_the_reviewed_shape():
    """tests/snapshots/definitions.json is the reviewed shape of the graph: when a change is
    intended, regenerate it with `ENGAGEMENT_UPDATE_SNAPSHOT=1 pytest -k reviewed_shape`."""
    actual = shape(build_definitions(Settings.from_env({})))
    if os.environ.get("ENGAGEMENT_UPDATE_SNAPSHOT"):
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(json.dumps(actual, indent=2) + "\n")
    assert actual == json.loads(SNAPSHOT.read_text())


def test_every_asset_that_writes_the_warehouse_is_in_the_one_writer_pool(tmp_path):
    defs = build_definitions(Settings.from_env({}))
    graph = defs.resolve_asset_graph()
    writers = {
        key
        for key in graph.get_all_asset_keys()
        if graph.get(key).is_materializable
        and key.path[0] in ("ingest", "staging", "intermediate", "marts", "reference")
    }
    for key in writers | {dg.AssetKey(["serving", "warehouse"])}:
        assert graph.get(key).pools == {WAREHOUSE_POOL}, key
    shutil.copy(PROJECT_ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 1
        assert instance.run_retries_enabled and instance.run_retries_max_retries == 2


def test_the_nightly_schedule_runs_the_batch_that_closed_at_midnight(monkeypatch):
    monkeypatch.setenv("ENGAGEMENT_TIMEZONE", "America/New_York")
    defs = build_definitions(Settings.from_env())
    schedule = defs.resolve_schedule_def("nightly")
    assert (schedule.cron_schedule, schedule.execution_timezone) == (
        "0 2 * * *",
        "America/New_York",
    )
    when = datetime(2026, 11, 5, 2, 0, tzinfo=ZoneInfo("America/New_York"))
    with dg.build_schedule_context(
        scheduled_execution_time=when, repository_def=defs.get_repository_def()
    ) as context:
        request = schedule.evaluate_tick(context).run_requests[0]
    assert request.partition_key == "2026-11-04"
    assert request.job_name in (None, JOB_NAME)


def write_day(env: Environment, day: date, name: str = "calls.jsonl", lines: int = 1) -> Path:
    stamp = datetime.combine(day, datetime.min.time(), UTC).strftime("%a, %d %b %Y 10:00:00 +0000")
    return env.write(
        "twilio_voice",
        day.isoformat(),
        name,
        [
            {"CallSid": f"CA{n}", "CallStatus": "completed", "Timestamp": stamp}
            for n in range(lines)
        ],
    )


def sensor_requests(defs: dg.Definitions, instance: dg.DagsterInstance) -> list[str]:
    sensor = defs.resolve_sensor_def("landing_changes")
    with dg.build_sensor_context(instance=instance, definitions=defs) as context:
        return sorted(r.partition_key for r in sensor.evaluate_tick(context).run_requests)


def test_the_sensor_requests_batches_whose_files_changed_since_ingest(env: Environment):
    today = datetime.now(UTC).date()
    recent, older = today - timedelta(days=3), today - timedelta(days=10)
    write_day(env, recent)
    write_day(env, older)
    defs = build_definitions(env.settings())
    ingest = [a for a in defs.resolve_asset_graph().get_all_asset_keys() if a.path[0] == "ingest"]
    with dg.DagsterInstance.ephemeral() as instance:
        assert sensor_requests(defs, instance) == [str(older), str(recent)]  # never ingested

        job = defs.resolve_implicit_global_asset_job_def().get_subset(asset_selection=set(ingest))
        for day in (recent, older):
            assert job.execute_in_process(instance=instance, partition_key=str(day)).success
        assert sensor_requests(defs, instance) == []  # nothing changed since

        time.sleep(0.01)
        write_day(env, recent, lines=2)  # a re-upload of the same file, changed
        write_day(env, older, name="late.jsonl")  # a late upload
        assert sensor_requests(defs, instance) == [str(older), str(recent)]

        for day in (recent, older):
            assert job.execute_in_process(instance=instance, partition_key=str(day)).success
        shutil.rmtree(env.landing / "twilio_voice" / str(recent))  # the folder disappears
        assert sensor_requests(defs, instance) == [str(recent)]


def test_freshness_warns_when_yesterday_was_not_built(env: Environment):
    defs = build_definitions(env.settings())
    with dg.DagsterInstance.ephemeral() as instance:
        result = defs.resolve_job_def("freshness").execute_in_process(instance=instance)
    (evaluation,) = result.get_asset_check_evaluations()
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def postgres(tmp_path: Path):
    """A private PostgreSQL server (Debian's package; .ci/run installs it), run as `postgres`."""
    data = Path(tempfile.mkdtemp(prefix="engagement-pg-"))  # outside pytest's root-only tmp
    shutil.chown(data, "postgres")
    port = free_port()
    as_postgres = ["runuser", "-u", "postgres", "--"]
    bin_dir = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
    subprocess.run(
        [*as_postgres, bin_dir / "initdb", "-D", data, "-A", "trust", "-U", "dagster"],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            *as_postgres,
            bin_dir / "pg_ctl",
            "-D",
            data,
            "-w",
            "-o",
            f"-p {port} -k {data} -c listen_addresses=127.0.0.1",
            "-l",
            data / "server.log",
            "start",
        ],
        check=True,
        stdout=subprocess.DEVNULL,  # the server would hold a captured pipe open
        stderr=subprocess.DEVNULL,
    )
    try:
        yield port
    finally:
        subprocess.run(
            [*as_postgres, bin_dir / "pg_ctl", "-D", data, "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(data, ignore_errors=True)


def test_postgres_storage_for_a_shared_deployment(env: Environment, postgres: int, monkeypatch):
    home = env.root / "pg-home"
    home.mkdir()
    config = (PROJECT_ROOT / "dagster.postgres.yaml").read_text()
    (home / "dagster.yaml").write_text(config)
    monkeypatch.setenv("DAGSTER_PG_HOST", "127.0.0.1")
    monkeypatch.setenv("DAGSTER_PG_PORT", str(postgres))
    monkeypatch.setenv("DAGSTER_PG_USER", "dagster")
    monkeypatch.setenv("DAGSTER_PG_PASSWORD", "trusted-locally")
    monkeypatch.setenv("DAGSTER_PG_DB", "postgres")
    write_day(env, date(2026, 11, 1))
    defs = build_definitions(env.settings())
    ingest = {dg.AssetKey(["ingest", "twilio_voice"])}
    job = defs.resolve_implicit_global_asset_job_def().get_subset(asset_selection=ingest)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        result = job.execute_in_process(instance=instance, partition_key="2026-11-01")
        assert result.success
        assert instance.get_run_by_id(result.run_id).is_success
        assert instance.get_latest_materialization_event(ingest.pop()) is not None
