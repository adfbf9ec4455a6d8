"""The serving copy BI opens: a DuckDB file and Parquet files of the marts, swapped in atomically.

The DuckDB copy is written under a temporary name next to the live one, then `os.replace`d over
it: a reader that opened the previous file keeps reading that file (its inode) consistently, the
next connection opens the new one. BI never opens the warehouse file that runs write.

Parquet goes to a new folder per publication and the `parquet` link is switched to it the same
way. The fact table, the one that grows with history, is not copied: it is Parquet by event
date, and only the days the run changed are written (queue changed_event_dates, consumer
`serving`); the other days are hard links to the previous publication. The DuckDB copy reads
it through a view, so the nightly publish costs the same on day 1 and day 1,000.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from orchestration.warehouse import connect as warehouse_connect
from orchestration.warehouse import literal

PUBLISHED_SCHEMA = "marts"
SERVING_FILE = "warehouse.duckdb"
PARQUET_LINK = "parquet"
FACT_TABLES = ("fct_engagement_results",)  # Parquet by day, changed days only; a view in DuckDB
QUEUE = "source.intermediate.changed_event_dates"
CONSUMER = "serving"


@dataclass(frozen=True)
class Snapshot:
    path: Path
    parquet: Path
    rows: dict[str, int]
    fact_days_written: int


def publish(warehouse: Path, serving_dir: Path, tag: str) -> Snapshot:
    """Publish the marts of `warehouse` to `serving_dir`, swapping both copies in; `tag` names
    this publication."""
    serving_dir.mkdir(parents=True, exist_ok=True)
    staging = serving_dir / f".{SERVING_FILE}.{tag}"
    staging.unlink(missing_ok=True)
    previous = (
        (serving_dir / PARQUET_LINK).resolve() if (serving_dir / PARQUET_LINK).exists() else None
    )
    parquet = serving_dir / f"{PARQUET_LINK}-{tag}"
    shutil.rmtree(parquet, ignore_errors=True)
    rows: dict[str, int] = {}
    con = warehouse_connect(staging)
    try:
        con.execute(f"attach {literal(warehouse)} as source")
        con.execute(f"create schema {PUBLISHED_SCHEMA}")
        changed = _changed_days(con) if previous else None
        days_written = 0
        for table, comment in _tables(con):
            if table in FACT_TABLES:
                days_written += _publish_facts(con, table, previous, parquet, changed)
                _fact_view(con, table, comment, parquet / table)
            else:
                _copy(con, table, comment)
                _export(con, table, parquet / table)
            rows[table] = _count(con, f'source.{PUBLISHED_SCHEMA}."{table}"')
        con.execute("detach source")
        con.execute("checkpoint")
    finally:
        con.close()
    os.replace(staging, serving_dir / SERVING_FILE)
    _switch_link(serving_dir / PARQUET_LINK, parquet)
    _dequeue(warehouse)
    _prune(serving_dir, keep=parquet)
    return Snapshot(serving_dir / SERVING_FILE, serving_dir / PARQUET_LINK, rows, days_written)


def _tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str | None]]:
    return con.execute(
        "select table_name, comment from duckdb_tables() "
        "where database_name = 'source' and schema_name = ? order by table_name",
        [PUBLISHED_SCHEMA],
    ).fetchall()


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str | None]]:
    return con.execute(
        "select column_name, comment from duckdb_columns() where database_name = 'source' "
        "and schema_name = ? and table_name = ? order by column_index",
        [PUBLISHED_SCHEMA, table],
    ).fetchall()


def _copy(con: duckdb.DuckDBPyConnection, table: str, comment: str | None) -> None:
    target = f'{PUBLISHED_SCHEMA}."{table}"'
    con.execute(f'create table {target} as select * from source.{PUBLISHED_SCHEMA}."{table}"')
    if comment:
        con.execute(f"comment on table {target} is {literal(comment)}")
    for column, text in _columns(con, table):
        if text:
            con.execute(f'comment on column {target}."{column}" is {literal(text)}')


def _export(con: duckdb.DuckDBPyConnection, table: str, folder: Path) -> None:
    """A small table in full: by month when it has an event date, else one file."""
    folder.mkdir(parents=True)
    target = f'{PUBLISHED_SCHEMA}."{table}"'
    if "event_date" in {column for column, _ in _columns(con, table)}:
        con.execute(
            f"copy (select *, strftime(event_date, '%Y-%m') as month from {target}) "
            f"to {literal(folder)} (format parquet, partition_by (month))"
        )
    else:
        con.execute(f"copy {target} to {literal(folder / 'data.parquet')} (format parquet)")


def _changed_days(con: duckdb.DuckDBPyConnection) -> set:
    rows = con.execute(f"select distinct event_date from {QUEUE} where consumer = ?", [CONSUMER])
    return {row[0] for row in rows.fetchall()}


def _publish_facts(con, table, previous: Path | None, parquet: Path, changed: set | None) -> int:  # type: ignore[no-untyped-def]
    """Write the changed days of a fact table (all of them the first time); link the others."""
    folder = parquet / table
    folder.mkdir(parents=True)
    earlier = sorted((previous / table).glob("event_date=*")) if previous else []
    if earlier and changed is not None:
        for day in earlier:
            if date.fromisoformat(day.name.split("=", 1)[1]) not in changed:
                shutil.copytree(day, folder / day.name, copy_function=os.link)
        con.execute(
            "create temp table publish_days as select unnest(?::date[]) as event_date",
            [sorted(changed)],
        )
        where = "where event_date in (select event_date from publish_days)"
    else:
        where = ""
    source = f'source.{PUBLISHED_SCHEMA}."{table}"'
    days = con.execute(f"select count(distinct event_date) from {source} {where}").fetchone()
    con.execute(
        f"copy (select * from {source} {where}) to {literal(folder)} "
        f"(format parquet, partition_by (event_date), overwrite_or_ignore)"
    )
    con.execute("drop table if exists publish_days")
    return int(days[0]) if days else 0


def _fact_view(
    con: duckdb.DuckDBPyConnection, table: str, comment: str | None, folder: Path
) -> None:
    """The fact table in the DuckDB copy: a view over the Parquet of the same publication."""
    columns = ", ".join(f'"{column}"' for column, _ in _columns(con, table))
    if not any(folder.glob("*/*.parquet")):  # no row yet: an empty table of the same shape
        con.execute(
            f'create table {PUBLISHED_SCHEMA}."{table}" as select * from '
            f'source.{PUBLISHED_SCHEMA}."{table}" limit 0'
        )
        return
    files = literal(str(folder / "*" / "*.parquet"))
    con.execute(
        f'create view {PUBLISHED_SCHEMA}."{table}" as select {columns} '
        f"from read_parquet({files}, hive_partitioning = true)"
    )
    if comment:
        con.execute(f'comment on view {PUBLISHED_SCHEMA}."{table}" is {literal(comment)}')


def _count(con: duckdb.DuckDBPyConnection, relation: str) -> int:
    count = con.execute(f"select count(*) from {relation}").fetchone()
    return int(count[0]) if count else 0


def _dequeue(warehouse: Path) -> None:
    con = warehouse_connect(warehouse)
    try:
        con.execute("delete from intermediate.changed_event_dates where consumer = ?", [CONSUMER])
    finally:
        con.close()


def _switch_link(link: Path, target: Path) -> None:
    temporary = link.with_name(f".{link.name}.new")
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(target.name)
    os.replace(temporary, link)


def _prune(serving_dir: Path, keep: Path) -> None:
    """Keep the current Parquet folder and the two before it: a reader may still be on an
    older DuckDB copy, whose fact view reads its own publication's files."""
    versions = sorted(
        (p for p in serving_dir.glob(f"{PARQUET_LINK}-*") if p.is_dir() and p != keep),
        key=lambda p: p.stat().st_mtime,
    )
    for old in versions[:-2]:
        shutil.rmtree(old, ignore_errors=True)
    for leftover in serving_dir.glob(f".{SERVING_FILE}.*"):
        leftover.unlink(missing_ok=True)
