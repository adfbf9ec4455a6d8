"""`engagement`: generate demo landing data, run the asset graph for batch dates, show counts."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from datetime import date, timedelta
from pathlib import Path

from orchestration.settings import DATA_DIR, PROJECT_ROOT, ConfigError, Settings

EXIT_CONFIG = 2
EXIT_FAILED = 1


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except ConfigError as error:
        print(f"engagement: configuration error: {error}", file=sys.stderr)
        return EXIT_CONFIG


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="engagement", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="command")

    generate = commands.add_parser("generate", help="write a realistic landing tree")
    generate.add_argument("--out", type=Path, required=True, help="landing folder to write")
    generate.add_argument("--start", type=_date, required=True, help="first batch date")
    generate.add_argument("--days", type=_positive, required=True, help="number of batches")
    generate.add_argument("--events-per-day", type=_positive, default=2000)
    generate.add_argument("--seed", type=int, default=7)
    generate.set_defaults(handler=_generate)

    run = commands.add_parser("run", help="materialize every asset for a range of batch dates")
    run.add_argument("--from", dest="start", type=_date, required=True)
    run.add_argument("--to", dest="end", type=_date, required=True)
    run.add_argument("--full-refresh", action="store_true", help="rebuild every dbt table")
    run.set_defaults(handler=_run)

    bench = commands.add_parser("bench", help="measure the pipeline against the DuckDB floor")
    bench.add_argument("--events", type=_positive, required=True, help="events in the batch")
    bench.add_argument("--days", type=_positive, default=1, help="batches the events span")
    bench.add_argument("--history-days", type=int, default=0, help="days already loaded")
    bench.add_argument(
        "--repeat", type=_positive, default=1, help="runs of each measurement (the median is kept)"
    )
    bench.add_argument("--work-dir", type=Path, help="where to write (default: a temp folder)")
    bench.set_defaults(handler=_bench)

    counts = commands.add_parser("counts", help="print marts.daily_result_counts")
    counts.add_argument("--from", dest="start", type=_date)
    counts.add_argument("--to", dest="end", type=_date)
    counts.set_defaults(handler=_counts)
    return parser


def _generate(args: argparse.Namespace) -> int:
    from orchestration.generate import generate

    truth = generate(args.out, args.start, args.days, args.events_per_day, args.seed)
    print(
        f"wrote {truth.files_written} files ({truth.records_written} records) for "
        f"{args.days} batches from {args.start} under {args.out}"
    )
    return 0


def _run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    settings.require_landing_dir()
    if args.end < args.start:
        raise ConfigError(f"--to {args.end} is before --from {args.start}")
    if args.start < settings.partitions_start:
        raise ConfigError(
            f"--from {args.start} is before the first partition {settings.partitions_start} "
            "(ENGAGEMENT_PARTITIONS_START)"
        )
    ensure_dagster_home()
    from orchestration.run import run_batches

    ok = run_batches(args.start, args.end, full_refresh=args.full_refresh)
    return 0 if ok else EXIT_FAILED


def _bench(args: argparse.Namespace) -> int:
    from orchestration.bench import bench

    bench(args.events, args.days, args.history_days, args.work_dir, args.repeat)
    return 0


def _counts(args: argparse.Namespace) -> int:
    from orchestration.warehouse import connect

    settings = Settings.from_env()
    if settings.engine != "duckdb":
        raise ConfigError(
            f"`counts` reads the DuckDB marts; with ENGAGEMENT_ENGINE={settings.engine} the "
            "marts are the engine's tables (marts.daily_result_counts there)"
        )
    if not settings.warehouse.exists():
        raise ConfigError(f"no warehouse at {settings.warehouse}; run `engagement run` first")
    con = connect(settings.warehouse, read_only=True)
    where, params = [], []
    if args.start:
        where.append("event_date >= ?")
        params.append(args.start)
    if args.end:
        where.append("event_date <= ?")
        params.append(args.end)
    sql = (
        "select event_date, channel, status, result_count, unique_count "
        "from marts.daily_result_counts "
        + (f"where {' and '.join(where)} " if where else "")
        + "order by event_date, channel, status"
    )
    con.sql(sql, params=params).show(max_rows=10_000, max_width=120)  # type: ignore[call-arg]
    return 0


def ensure_dagster_home() -> Path:
    """DAGSTER_HOME, defaulting to data/dagster with the repository's dagster.yaml."""
    home = Path(os.environ.get("DAGSTER_HOME") or DATA_DIR / "dagster").resolve()
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists() or "DAGSTER_HOME" not in os.environ:
        shutil.copyfile(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} must be at least 1")
    return value


def date_range(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


if __name__ == "__main__":
    sys.exit(main())
