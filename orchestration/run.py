"""Run the whole asset graph for a range of batch dates, in process, recorded in DAGSTER_HOME.

The same job the schedule and the UI launch; the range runs as one Dagster run (every asset has a
single-run backfill policy), so dbt builds once for the whole window.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import sys
import time
from datetime import date
from pathlib import Path

import dagster as dg

from orchestration import definitions
from orchestration.settings import Settings
from orchestration.transform.project import run_target

PROCESS_TAG = "engagement/process"  # the `engagement run` executing the run: process_id()
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def run_batches(
    start: date, end: date, *, full_refresh: bool = False, settings: Settings | None = None
) -> bool:
    """Materialize every asset for batch dates start..end; print progress; True on success."""
    defs = definitions.build_definitions(settings) if settings else definitions.defs
    job = defs.resolve_job_def(definitions.JOB_NAME)
    run_config = {
        "ops": {"engagement_dbt": {"config": {"full_refresh": full_refresh}}},
        "loggers": {"console": {"config": {"log_level": "INFO"}}},
    }
    started = time.monotonic()
    print(f"engagement: running batches {start} .. {end}", flush=True)
    with dg.DagsterInstance.get() as instance:
        recover_dead_runs(instance)
        result = job.execute_in_process(
            instance=instance,
            run_config=run_config,
            tags={
                RANGE_START_TAG: start.isoformat(),
                RANGE_END_TAG: end.isoformat(),
                PROCESS_TAG: process_id(os.getpid()),
            },
            raise_on_error=False,
        )
    seconds = time.monotonic() - started
    if result.success:
        print(f"engagement: run {result.run_id} succeeded in {seconds:.1f}s", flush=True)
        return True
    print(f"engagement: run {result.run_id} FAILED after {seconds:.1f}s", file=sys.stderr)
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data:
            error = event.step_failure_data.error
            message = error.message.strip() if error else "unknown error"
            print(f"  step {event.step_key}: {message}", file=sys.stderr)
        elif event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            data = event.asset_check_evaluation_data
            if not data.passed:
                warned = data.severity == dg.AssetCheckSeverity.WARN  # does not fail a run
                outcome = "warned" if warned else "failed"
                print(f"  check {data.asset_check_key.to_user_string()} {outcome}", file=sys.stderr)
    return False


def recover_dead_runs(instance: dg.DagsterInstance) -> None:
    """Fail the runs of `engagement run` processes of this host that died (killed, crashed), free
    the pool slots they held, which would otherwise make every later run wait, and remove their
    dbt target folders."""
    host = socket.gethostname()
    for run in instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])):
        owner = run.tags.get(PROCESS_TAG, "")
        if not owner.startswith(f"{host}:") or process_alive(owner):
            continue
        instance.report_run_failed(run, "the engagement run process died")
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        shutil.rmtree(run_target(run.run_id), ignore_errors=True)  # dbt's, if it was running
        print(f"engagement: run {run.run_id} of a dead process marked failed", flush=True)


def process_id(pid: int) -> str:
    """`host:pid:start`, where `start` tells this process from a later one given the same pid
    (PIDs wrap, and restart low after a reboot): the boot's id and the process's start time in
    clock ticks (Linux's /proc; empty where there is none)."""
    return f"{socket.gethostname()}:{pid}:{_start(pid)}"


def process_alive(owner: str) -> bool:
    """Whether the process a `process_id` names still runs on this host. By pid alone where a
    start cannot be compared (an id of an earlier release, `host:pid`, or no /proc)."""
    _, pid, *start = owner.split(":")
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    recorded, current = (start or [""])[0], _start(int(pid))
    return not (recorded and current) or recorded == current


def _start(pid: int) -> str:
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return f"{boot}/{stat.rsplit(')', 1)[1].split()[19]}"  # field 22, starttime


logging.getLogger("dagster").setLevel(logging.WARNING)
