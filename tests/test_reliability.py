"""Faults: a run killed at any point, a second run while one writes, a full disk, a read-only
warehouse. The warehouse and the serving copy stay consistent, and the next run of the same
batches gives exactly the tables an uninterrupted run gives."""

from __future__ import annotations

import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb
import pytest

from orchestration.generate import generate
from orchestration.run import process_alive, process_id
from orchestration.settings import PROJECT_ROOT
from orchestration.transform.project import run_target
from tests.conftest import fingerprints

START, END = "2026-11-01", "2026-11-02"


def environment(root: Path) -> dict[str, str]:
    return {
        **os.environ,
        "ENGAGEMENT_LANDING_DIR": str(root.parent / "landing"),
        "ENGAGEMENT_WAREHOUSE": str(root / "warehouse.duckdb"),
        "ENGAGEMENT_SERVING_DIR": str(root / "serving"),
        "ENGAGEMENT_LAKE_DIR": str(root / "lake"),
        "DAGSTER_HOME": str(root / "dagster"),
        "ENGAGEMENT_TIMEZONE": "UTC",
        "ENGAGEMENT_HMAC_KEY": "faults-test-key",  # the same pseudonyms in every environment
    }


def start_run(root: Path, **popen: object) -> subprocess.Popen:
    root.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli", "run", "--from", START, "--to", END],
        env=environment(root),
        cwd=PROJECT_ROOT,
        start_new_session=True,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        **popen,
    )


def finish(process: subprocess.Popen, timeout: int = 600) -> str:
    output, _ = process.communicate(timeout=timeout)
    assert process.returncode == 0, output[-4000:]
    return output


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[Path, dict]:
    """A landing tree, and the tables one uninterrupted run gives from it."""
    base = tmp_path_factory.mktemp("faults")
    generate(base / "landing", date.fromisoformat(START), 2, events_per_day=20_000, seed=3)
    finish(start_run(base / "reference"))
    return base, fingerprints(base / "reference" / "warehouse.duckdb")


def kill_when(process: subprocess.Popen, ready: Callable[[], bool], timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert process.poll() is None, "the run ended before the fault point"
        assert time.monotonic() < deadline, "the fault point never came"
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    while _group_running(process.pid):  # dbt's process too, or it may still hold the warehouse
        assert time.monotonic() < deadline, "the killed processes did not end"
        time.sleep(0.02)


def _group_running(group: int) -> bool:
    """Whether a thread of the group is still running. Threads, not processes: a killed
    process's main thread can be a zombie while its other threads still hold its files."""
    for stat in Path("/proc").glob("[0-9]*/task/[0-9]*/stat"):
        try:
            state, _, process_group = stat.read_text().rsplit(")", 1)[1].split()[:3]
        except OSError:  # it ended while listed
            continue
        if int(process_group) == group and state != "Z":
            return True
    return False


def dbt_running(root: Path, model: str | None = None) -> Callable[[], bool]:
    """The run's dbt has started (its log appeared in the run's dbt folder), or has started
    building `model`. (The run's id is its event log's name: only this root's runs count, not
    those of tests running beside it.)"""

    def ready() -> bool:
        for shard in (root / "dagster" / "history" / "runs").glob("*.db"):
            log = run_target(shard.stem) / "dbt.log"
            if log.exists() and (
                model is None or f"model marts.{model}" in log.read_text(errors="ignore")
            ):
                return True
        return False

    return ready


FAULT_POINTS = {
    "during ingest": lambda root: lambda: (root / "warehouse.duckdb.wal").exists(),
    "between ingest and dbt": lambda root: dbt_running(root),
    "during dbt": lambda root: dbt_running(root, "daily_result_counts"),
    "during publish": lambda root: lambda: any((root / "serving").glob(".warehouse.duckdb.*")),
}


@pytest.mark.parametrize("point", list(FAULT_POINTS))
def test_a_run_killed_at_any_point_leaves_consistent_tables_and_reruns_exactly(reference, point):
    base, expected = reference
    root = base / point.replace(" ", "-")
    shutil.rmtree(root, ignore_errors=True)
    fault_point = FAULT_POINTS[point](root)
    kill_when(start_run(root), fault_point)

    warehouse = root / "warehouse.duckdb"
    if warehouse.exists():  # it opens, and holds whole batches only
        con = duckdb.connect(str(warehouse), read_only=True)
        con.sql("select count(*) from duckdb_tables()").fetchall()
        con.close()
    serving = root / "serving" / "warehouse.duckdb"
    assert not serving.exists() or point == "during publish"

    output = finish(start_run(root))  # it does not wait on the pool slot the dead run held
    dead = re.search(r"run (\S+) of a dead process marked failed", output)
    assert dead, output[-4000:]
    assert not run_target(dead.group(1)).exists()  # nor does its dbt folder stay behind
    assert fingerprints(warehouse) == expected
    con = duckdb.connect(str(serving), read_only=True)
    total = con.sql("select sum(result_count) from marts.daily_result_counts").fetchone()
    con.close()
    reference_con = duckdb.connect(str(base / "reference" / "warehouse.duckdb"), read_only=True)
    assert (
        total
        == reference_con.sql("select sum(result_count) from marts.daily_result_counts").fetchone()
    )
    reference_con.close()


def test_a_dead_runs_process_is_told_from_a_later_process_given_its_pid():
    """PIDs wrap, and restart low after a reboot: a process now holding a dead run's pid must
    not keep that run (and its pool slot) alive."""
    me = process_id(os.getpid())
    assert process_alive(me)
    host, pid, start = me.split(":")
    boot, ticks = start.split("/")
    assert not process_alive(f"{host}:{pid}:{boot}/{int(ticks) + 1}")  # started at another time
    assert not process_alive(f"{host}:{pid}:another-boot/{ticks}")
    assert process_alive(f"{host}:{pid}")  # an earlier release's id: the pid alone

    ended = subprocess.Popen(["true"])
    owner = process_id(ended.pid)
    ended.wait()
    assert not process_alive(owner)


def test_a_second_run_waits_for_the_writer_and_both_end_exactly(reference):
    base, expected = reference
    root = base / "concurrent"
    shutil.rmtree(root, ignore_errors=True)
    first = start_run(root)
    writing = FAULT_POINTS["during ingest"](root)
    deadline = time.monotonic() + 120
    while not writing():
        assert time.monotonic() < deadline
        time.sleep(0.02)
    second = start_run(root)
    finish(first)
    finish(second)
    assert fingerprints(root / "warehouse.duckdb") == expected


def test_a_full_disk_fails_clearly_and_leaves_the_previous_state(reference):
    base, _ = reference
    root = base / "full-disk"
    shutil.rmtree(root, ignore_errors=True)

    def small_disk() -> None:  # files this process writes cannot grow past 3 MB
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (3 << 20, 3 << 20))

    process = start_run(root, preexec_fn=small_disk)
    output, _ = process.communicate(timeout=600)
    assert process.returncode != 0
    assert "File too large" in output or "No space" in output or "too large" in output.lower()
    warehouse = root / "warehouse.duckdb"
    if warehouse.exists():
        con = duckdb.connect(str(warehouse), read_only=True)
        rows = con.sql("select count(*) from duckdb_tables() where schema_name = 'raw'")
        rows.fetchall()
        con.close()
    assert not (root / "serving" / "warehouse.duckdb").exists()


def test_a_read_only_warehouse_is_a_clear_error_before_anything_is_written(tmp_path):
    read_only = Path("/proc/sys/engagement/warehouse.duckdb")  # not writable, even by root
    result = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "run", "--from", START, "--to", START],
        env={
            **os.environ,
            "ENGAGEMENT_WAREHOUSE": str(read_only),
            "ENGAGEMENT_LANDING_DIR": str(tmp_path),
            "DAGSTER_HOME": str(tmp_path / "home"),
        },
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "/proc/sys is not a writable folder" in result.stderr
    assert not (tmp_path / "home").exists()
