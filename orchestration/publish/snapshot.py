"""The serving copy BI opens: a DuckDB file and Parquet files of the marts, swapped in atomically.

The copy is written under a temporary name next to the live one, then `os.replace`d over it: a
reader that opened the previous file keeps reading that file (its inode) consistently, the next
connection opens the new one. BI never opens the warehouse file that runs write. Parquet goes to
a new folder per publication and the `parquet` link is switched to it the same way.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

PUBLISHED_SCHEMA = "marts"
SERVING_FILE = "warehouse.duckdb"
PARQUET_LINK = "parquet"
PARTITION_COLUMN = "event_date"  # tables that have it are written one folder per month


@dataclass(frozen=True)
class Snapshot:
    path: Path
    parquet: Path
    rows: dict[str, int]


def publish(warehouse: Path, serving_dir: Path, tag: str) -> Snapshot:
    """Copy the marts of `warehouse` to `serving_dir` and swap the copy in; `tag` names it."""
    serving_dir.mkdir(parents=True, exist_ok=True)
    staging = serving_dir / f".{SERVING_FILE}.{tag}"
    staging.unlink(missing_ok=True)
    parquet = serving_dir / f"{PARQUET_LINK}-{tag}"
    shutil.rmtree(parquet, ignore_errors=True)
    rows = {}
    con = duckdb.connect(str(staging))
    try:
        con.execute(f"attach {_literal(warehouse)} as source (read_only)")
        con.execute(f"create schema {PUBLISHED_SCHEMA}")
        for table, comment in _tables(con):
            rows[table] = _copy(con, table, comment, parquet / table)
        con.execute("detach source")
        con.execute("checkpoint")
    finally:
        con.close()
    os.replace(staging, serving_dir / SERVING_FILE)
    _switch_link(serving_dir / PARQUET_LINK, parquet)
    _prune(serving_dir, keep=parquet)
    return Snapshot(serving_dir / SERVING_FILE, serving_dir / PARQUET_LINK, rows)


def _tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str | None]]:
    return con.execute(
        "select table_name, comment from duckdb_tables() "
        "where database_name = 'source' and schema_name = ? order by table_name",
        [PUBLISHED_SCHEMA],
    ).fetchall()


def _copy(con: duckdb.DuckDBPyConnection, table: str, comment: str | None, folder: Path) -> int:
    source = f'source.{PUBLISHED_SCHEMA}."{table}"'
    target = f'{PUBLISHED_SCHEMA}."{table}"'
    con.execute(f"create table {target} as select * from {source}")
    if comment:
        con.execute(f"comment on table {target} is {_literal(comment)}")
    columns = con.execute(
        "select column_name, comment from duckdb_columns() where database_name = 'source' "
        "and schema_name = ? and table_name = ?",
        [PUBLISHED_SCHEMA, table],
    ).fetchall()
    for column, text in columns:
        if text:
            con.execute(f'comment on column {target}."{column}" is {_literal(text)}')
    folder.mkdir(parents=True)
    if PARTITION_COLUMN in {column for column, _ in columns}:
        con.execute(
            f"copy (select *, strftime({PARTITION_COLUMN}, '%Y-%m') as month from {target}) "
            f"to {_literal(folder)} (format parquet, partition_by (month))"
        )
    else:
        con.execute(f"copy {target} to {_literal(folder / 'data.parquet')} (format parquet)")
    count = con.execute(f"select count(*) from {target}").fetchone()
    return int(count[0]) if count else 0


def _switch_link(link: Path, target: Path) -> None:
    temporary = link.with_name(f".{link.name}.new")
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(target.name)
    os.replace(temporary, link)


def _prune(serving_dir: Path, keep: Path) -> None:
    """Keep the current Parquet folder and the one before it (a reader may still be on it)."""
    versions = sorted(
        (p for p in serving_dir.glob(f"{PARQUET_LINK}-*") if p.is_dir() and p != keep),
        key=lambda p: p.stat().st_mtime,
    )
    for old in versions[:-1]:
        shutil.rmtree(old, ignore_errors=True)
    for leftover in serving_dir.glob(f".{SERVING_FILE}.*"):
        leftover.unlink(missing_ok=True)


def _literal(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'"
