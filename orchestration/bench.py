"""`engagement bench`: the pipeline measured against the DuckDB floor, on the same files.

- floor: DuckDB alone reads every landing file of the batch and groups every event's raw status
  values per day (the least any pipeline must do; `floor.py`);
- read once: the floor until 2026-12-08 (each line or document parsed once, no envelope opened,
  no day), kept to compare with earlier figures;
- two writes: DuckDB alone reads the same events as the floor, writes each record's parser
  fields to a table and those rows again to a second one: the least a pipeline with a raw layer
  and a fact table does (no validation, dedupe, pseudonyms or summaries);
- fixed: `engagement run` of an empty batch on an empty warehouse (imports, Dagster, dbt);
- pipeline: `engagement run` of the batch on an empty warehouse: total, per stage (the
  Dagster steps; ingest split into parse, validate and load), rows per second, and the peak
  RSS of the whole process tree (the CLI, dbt, ...);
- with --history-days H: the same batch on a warehouse already holding H days (built from
  synthetic raw rows by a full dbt build, then published), against the empty-warehouse run.

With --repeat N it runs N rounds, each measuring the floor, read once, the fixed cost, the
pipeline and (with history, the history restored first) the pipeline on it, one after the
other: the host's speed moves within minutes, and a ratio of figures taken apart would measure
that move. Each figure is its median run, and each ratio the median of the rounds' ratios.

Prints one JSON line per measurement, a table, and last a JSON summary with `events`,
`floor_s`, `read_once_s`, `two_writes_s` and `two_writes_ratio` (to the floor), `pipeline_s`,
`fixed_s`, `marginal_ratio` ((pipeline - fixed) / floor, per round) and `marginal_read_once_ratio`,
`peak_rss_mb` (the largest of the pipeline runs) and, with history, `history_ratio`; `runs_s`
lists every run's seconds.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

from orchestration.floor import floor, read_once, two_writes
from orchestration.settings import PROJECT_ROOT

BATCH = date(2026, 6, 1)
HISTORY_ROWS_PER_DAY = 100_000


def bench(
    events: int, days: int = 1, history_days: int = 0, work: Path | None = None, repeat: int = 1
) -> dict:
    from orchestration.generate import generate

    root = Path(work or tempfile.mkdtemp(prefix="engagement-bench-"))
    landing = root / "landing"
    shutil.rmtree(landing, ignore_errors=True)
    last = BATCH + timedelta(days=days - 1)
    started = time.monotonic()
    generated = generate(landing, BATCH, days, events // days, seed=1, keep_results=False)
    _emit(
        "generate",
        seconds=time.monotonic() - started,
        records=generated.records_written,
        bytes=_size(landing),
    )
    results: dict = {"events": generated.records_written, "days": days, "repeat": repeat}

    two_writes_s, written = two_writes(landing, BATCH, last, root / "two-writes.duckdb")
    _emit("two_writes", seconds=two_writes_s, records=sum(written.values()))

    # Every run is of one deployment: the same paths, its Dagster instance and dbt's parse
    # state kept from run to run; the warehouse (and serving copy, lake) emptied before each.
    deployment = root / "deployment"
    shutil.rmtree(deployment, ignore_errors=True)
    empty_day = BATCH - timedelta(days=1)  # no file landed that day
    warm_up = _run(deployment, landing, empty_day, empty_day)  # a deployment's first run
    _emit("warm_up", **warm_up)
    history = root / "history"
    if history_days:
        first = BATCH - timedelta(days=history_days)
        _build_history(deployment, landing, first, history_days, history)

    # Each round measures everything a ratio needs, one after the other: the host's speed moves
    # within minutes here, and a ratio of figures taken far apart would measure that move.
    floors, reads, fixed, pipelines, loaded_runs = [], [], [], [], []
    for _ in range(repeat):
        seconds, groups = floor(landing, BATCH, last)
        floors.append(seconds)
        _emit("floor", seconds=seconds, observations=sum(groups.values()))
        reads.append(read_once(landing, BATCH, last))
        _emit("read_once", seconds=reads[-1])
        fixed.append(_run(deployment, landing, empty_day, empty_day))
        _emit("fixed", **fixed[-1])
        pipelines.append(_run(deployment, landing, BATCH, last))
        _emit("pipeline", **pipelines[-1])
        if history_days:
            _restore(history, deployment)
            loaded_runs.append(_run(deployment, landing, BATCH, last, keep=True))
            _emit("pipeline_with_history", history_days=history_days, **loaded_runs[-1])

    pipeline = _median(pipelines)
    marginal = [p["seconds"] - f["seconds"] for p, f in zip(pipelines, fixed, strict=True)]
    results.update(
        floor_s=statistics.median_low(floors),
        read_once_s=statistics.median_low(reads),
        two_writes_s=two_writes_s,
        fixed_s=_median(fixed)["seconds"],
        pipeline_s=pipeline["seconds"],
        peak_rss_mb=max(run["peak_rss_mb"] for run in pipelines),
        stages=pipeline["stages"],
        rows_per_s=round(generated.records_written / pipeline["seconds"]),
        marginal_ratio=_median_ratio(marginal, floors),
        marginal_read_once_ratio=_median_ratio(marginal, reads),
    )
    results["two_writes_ratio"] = round(two_writes_s / results["floor_s"], 2)
    if history_days:
        results["history_days"] = history_days
        results["history_pipeline_s"] = _median(loaded_runs)["seconds"]
        results["history_ratio"] = _median_ratio(
            [run["seconds"] for run in loaded_runs], [run["seconds"] for run in pipelines]
        )
    results["runs_s"] = {
        "floor": floors,
        "read_once": reads,
        "fixed": [run["seconds"] for run in fixed],
        "pipeline": [run["seconds"] for run in pipelines],
        "history": [run["seconds"] for run in loaded_runs],
    }

    _table(results)
    print(json.dumps(results), flush=True)
    return results


def _median_ratio(numerators: list[float], denominators: list[float]) -> float:
    """The median (the lower of the two middle ones) of each round's ratio."""
    ratios = [n / d for n, d in zip(numerators, denominators, strict=True)]
    return round(statistics.median_low(ratios), 2)


def _median(runs: list[dict]) -> dict:
    """The run of median seconds (the lower of the two middle ones): a run measured whole."""
    seconds = statistics.median_low(run["seconds"] for run in runs)
    return next(run for run in runs if run["seconds"] == seconds)


def _run(home: Path, landing: Path, first: date, last: date, keep: bool = False) -> dict:
    """`engagement run` in a subprocess, with the peak RSS of its process tree; `keep`: on the
    warehouse as it is, else on an empty one."""
    if not keep:
        _empty_warehouse(home)
    env = _environment(home, landing)
    command = [
        sys.executable,
        "-m",
        "orchestration.cli",
        "run",
        "--from",
        str(first),
        "--to",
        str(last),
    ]
    started = time.monotonic()
    process = subprocess.Popen(
        command,
        env=env,
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    with _peak_rss(process.pid) as peak:
        _, errors = process.communicate()
    seconds = round(time.monotonic() - started, 2)
    if process.returncode != 0:
        raise RuntimeError(f"engagement run failed:\n{errors[-3000:]}")
    return {
        "seconds": seconds,
        "peak_rss_mb": round(peak[0] / 2**20),
        "stages": _stages(home / "dagster"),
    }


def _environment(home: Path, landing: Path) -> dict[str, str]:
    (home / "dagster").mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        "ENGAGEMENT_LANDING_DIR": str(landing),
        "ENGAGEMENT_WAREHOUSE": str(home / "data" / "warehouse.duckdb"),
        "ENGAGEMENT_SERVING_DIR": str(home / "data" / "serving"),
        "ENGAGEMENT_LAKE_DIR": str(home / "data" / "lake"),
        "DAGSTER_HOME": str(home / "dagster"),
    }


def _empty_warehouse(home: Path) -> None:
    shutil.rmtree(home / "data", ignore_errors=True)
    (home / "data").mkdir(parents=True)


def _stages(dagster_home: Path) -> dict[str, float]:
    """Seconds per stage of the last run: Dagster step durations, ingest split by stage."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        run = instance.get_runs(limit=1)[0]
        stages: dict[str, float] = {}
        started: dict[str, float] = {}
        for record in instance.all_logs(run.run_id):
            event = record.dagster_event
            if event is None or event.step_key is None:
                continue
            if event.event_type == dg.DagsterEventType.STEP_START:
                started[event.step_key] = record.timestamp
            elif event.event_type == dg.DagsterEventType.STEP_SUCCESS:
                stage = _stage(event.step_key)
                stages[stage] = stages.get(stage, 0.0) + record.timestamp - started[event.step_key]
            elif event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
                metadata = event.event_specific_data.materialization.metadata  # type: ignore[union-attr]
                for name in ("parse_s", "validate_s", "load_s"):
                    if name in metadata:
                        key = f"ingest.{name[:-2]}"
                        stages[key] = stages.get(key, 0.0) + float(metadata[name].value)  # type: ignore[arg-type]
    return {name: round(seconds, 2) for name, seconds in sorted(stages.items())}


def _stage(step_key: str) -> str:
    if step_key.startswith("ingest__"):
        return "ingest"
    if step_key.startswith("serving__"):
        return "publish"
    return "dbt" if step_key == "engagement_dbt" else step_key


@contextmanager
def _peak_rss(pid: int):
    """Sample the resident memory of `pid` and all its descendants; yields [peak bytes]."""
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _tree_rss(pid))
            done.wait(0.1)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield peak
    finally:
        done.set()
        thread.join()


def _tree_rss(root: int) -> int:
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            status = Path(entry.path, "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        parents[int(entry.name)] = int(fields.get("PPid", "0"))
        rss[int(entry.name)] = int(fields.get("VmRSS", "0 kB").split()[0]) * 1024
    tree, frontier = {root}, [root]
    while frontier:
        children = [pid for pid, parent in parents.items() if parent in frontier]
        frontier = [pid for pid in children if pid not in tree]
        tree.update(frontier)
    return sum(rss.get(pid, 0) for pid in tree)


def _build_history(home: Path, landing: Path, first: date, days: int, saved: Path) -> None:
    """A warehouse holding `days` batches before the benchmark batch: synthetic raw rows (the
    statuses and keys a real batch has), then a full dbt build over them; its data folder
    (warehouse, serving copy, lake) is kept in `saved` for `_restore`."""
    from orchestration import warehouse
    from orchestration.publish.snapshot import publish

    _empty_warehouse(home)
    env = _environment(home, landing)
    path = Path(env["ENGAGEMENT_WAREHOUSE"])
    rows = days * HISTORY_ROWS_PER_DAY
    with warehouse.writer(path) as con:
        con.execute(_HISTORY_SQL, [first, HISTORY_ROWS_PER_DAY, rows])
        con.execute(
            "insert into audit.ingested_batches (source, batch_date, files, records_read, "
            "records_accepted, records_rejected, observations, ingested_at) "
            "select source, batch_date, 1, count(*), count(*), 0, count(*), now() "
            "from raw.observations group by all"
        )
    started = time.monotonic()
    subprocess.run(
        [
            str(Path(sys.executable).with_name("dbt")),
            "build",
            "--exclude-resource-type",
            "unit_test",
            "--profiles-dir",
            str(PROJECT_ROOT / "dbt_project"),
            "--target-path",  # leaves the deployment's parse state as the runs keep it
            str(home / "history-target"),
            "--quiet",
        ],
        cwd=PROJECT_ROOT,
        env={**env, "ENGAGEMENT_DBT_MEMORY_LIMIT": "8GB"},  # a full build of the whole history
        check=True,
    )
    seconds = round(time.monotonic() - started, 1)
    # the serving copy a nightly run starts from
    publish(path, Path(env["ENGAGEMENT_SERVING_DIR"]), "history")
    shutil.rmtree(saved, ignore_errors=True)
    shutil.copytree(home / "data", saved, symlinks=True)
    _emit("history_build", days=days, rows=rows, dbt_seconds=seconds)


def _restore(saved: Path, home: Path) -> None:
    """The deployment's data folder as the history build left it, at the same path (the
    serving copy's views name its files by absolute path), its links as links."""
    shutil.rmtree(home / "data")
    shutil.copytree(saved, home / "data", symlinks=True)


_HISTORY_SQL = """
insert into raw.observations
select
    'sendgrid', batch_date, 'history.jsonl', i, null, 1, 1, 'email', 'event',
    (['processed', 'delivered', 'open', 'click', 'bounce'])[1 + i % 5],
    'h' || i, false, 'm' || (i // 3), 'm' || (i // 3),
    batch_date::timestamptz + to_seconds(i % 86400), null, null, 'eng-' || (i % 30), now()
from (select i, ($1::date + (i // $2)::integer) as batch_date from range($3) t(i))
"""


def _table(results: dict) -> None:
    lines = [
        ("events", f"{results['events']:,}"),
        ("floor (DuckDB groups every event per day)", f"{results['floor_s']:.2f} s"),
        ("read once (the floor until 2026-12-08)", f"{results['read_once_s']:.2f} s"),
        (
            "two writes (raw, then fact)",
            f"{results['two_writes_s']:.2f} s (x{results['two_writes_ratio']:.2f} the floor)",
        ),
        ("fixed cost (empty batch)", f"{results['fixed_s']:.1f} s"),
        ("pipeline", f"{results['pipeline_s']:.1f} s ({results['rows_per_s']:,} rows/s)"),
        ("marginal / floor", f"{results['marginal_ratio']:.2f}"),
        ("marginal / read once", f"{results['marginal_read_once_ratio']:.2f}"),
        ("peak RSS, process tree", f"{results['peak_rss_mb']:,} MB"),
    ] + [(f"  stage {name}", f"{seconds:.1f} s") for name, seconds in results["stages"].items()]
    if "history_ratio" in results:
        lines.append(
            (
                f"with {results['history_days']} days of history",
                f"{results['history_pipeline_s']:.1f} s (x{results['history_ratio']:.2f})",
            )
        )
    if results["repeat"] > 1:
        lines.append((f"median of {results['repeat']} runs; every run", ""))
        lines += [
            (f"  {name}", ", ".join(f"{s:.1f}" for s in seconds) + " s")
            for name, seconds in results["runs_s"].items()
            if seconds
        ]
    width = max(len(name) for name, _ in lines)
    for name, value in lines:
        print(f"{name.ljust(width)}  {value}", flush=True)


def _emit(measurement: str, **values: object) -> None:
    print(json.dumps({"measurement": measurement, **values}), flush=True)


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
