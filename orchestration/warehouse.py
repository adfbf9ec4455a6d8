"""The DuckDB warehouse file: connections and the tables ingest writes (raw, quarantine, audit).

dbt owns every other schema. Ingest replaces one (source, batch date) slice of these tables in a
single transaction, so a reader sees either the old batch or the new one, never half of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import duckdb

DDL = """
create schema if not exists raw;
create schema if not exists quarantine;
create schema if not exists audit;

create table if not exists raw.observations (
    source varchar not null,
    batch_date date not null,
    source_file varchar not null,
    position bigint not null,
    item varchar,
    seq integer not null,
    observation integer not null,
    channel varchar not null,
    raw_field varchar not null,
    raw_status varchar not null,
    result_key varchar not null,
    dedupe_by_status boolean not null,
    message_key varchar not null,
    attribution_key varchar not null,
    event_time timestamptz not null,
    detail varchar,
    bounce_type varchar,
    engagement_id varchar,
    loaded_at timestamptz not null
);

create table if not exists quarantine.rejected_records (
    source varchar not null,
    batch_date date not null,
    source_file varchar not null,
    position bigint,
    item varchar,
    reason_code varchar not null,
    reason varchar not null,
    record varchar,
    rejected_at timestamptz not null
);

create table if not exists audit.ingested_files (
    source varchar not null,
    batch_date date not null,
    source_file varchar not null,
    size_bytes bigint not null,
    modified_at timestamptz not null,
    status varchar not null,
    records_read bigint not null,
    records_accepted bigint not null,
    records_rejected bigint not null,
    observations bigint not null,
    ingested_at timestamptz not null
);

create table if not exists audit.ingested_batches (
    source varchar not null,
    batch_date date not null,
    files bigint not null,
    records_read bigint not null,
    records_accepted bigint not null,
    records_rejected bigint not null,
    observations bigint not null,
    ingested_at timestamptz not null,
    primary key (source, batch_date)
);
alter table audit.ingested_batches add column if not exists purged_at timestamptz;
"""


STORAGE_REFUSED = (  # write errors that retrying does not cure
    "No space left on device",
    "File too large",
    "Disk quota exceeded",
    "Read-only file system",
)


def storage_refused(error: BaseException) -> bool:
    """The disk refused a write (full, quota, size limit, read-only), from DuckDB or Python."""
    return any(reason in str(error) for reason in STORAGE_REFUSED)


# DuckDB's buffer pool per database the pipeline opens (its default, 80% of RAM, is what a large
# batch then uses). Beyond it DuckDB evicts cached blocks and spills to `<warehouse>.tmp`; dbt's
# connections have their own (profiles.yml). docs/performance.md has the measurements.
MEMORY_LIMIT = "512MB"


# A new warehouse file is made in DuckDB 1.5's storage format, which the file then keeps
# (DuckDB's default stays 1.0's, for older readers). Its strings (dictionary and FSST in one)
# take less disk (a 10M-event batch: 1,359 → 1,269 MB) and, written alone, ~10% less time
# (docs/performance.md). Only DuckDB 1.5 or later opens it; BI opens the serving copy, made in
# the default format.
WAREHOUSE_STORAGE_VERSION = "v1.5.0"


def connect(path: Path | str, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """The warehouse (or, given ":memory:", a scratch database), in UTC, memory capped."""
    if path != ":memory:" and not read_only:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    con.execute("set TimeZone = 'UTC'")
    con.execute(f"set memory_limit = '{MEMORY_LIMIT}'")
    return con


def create(path: Path) -> duckdb.DuckDBPyConnection:
    """A new DuckDB file in the format of WAREHOUSE_STORAGE_VERSION (which it keeps)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(
        str(path), config={"storage_compatibility_version": WAREHOUSE_STORAGE_VERSION}
    )


def literal(value: object) -> str:
    """A SQL string literal, for the places DuckDB takes no parameter (file paths of COPY and
    ATTACH, JSON paths in a list, comments)."""
    return "'" + str(value).replace("'", "''") + "'"


@contextmanager
def writer(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection with the ingest tables in place (a new file in the format of
    WAREHOUSE_STORAGE_VERSION)."""
    if not Path(path).exists():
        create(path).close()
    con = connect(path)
    try:
        con.execute(DDL)
        yield con
    finally:
        con.close()


def purge(con: duckdb.DuckDBPyConnection, before: date) -> tuple[dict[str, int], list[tuple]]:
    """Retention: delete the raw and quarantined records of batches before `before`, and mark
    those batches purged (frozen: dbt no longer rebuilds their facts, which stay).

    Returns the rows deleted per table and the (source, batch_date) batches newly purged."""
    with transaction(con):
        deleted = {}
        for table in ("raw.observations", "quarantine.rejected_records"):
            result = con.execute(f"delete from {table} where batch_date < ?", [before])
            deleted[table] = result.fetchall()[0][0]  # a DELETE returns one row: its count
        batches = con.execute(
            "update audit.ingested_batches set purged_at = now() "
            "where batch_date < ? and purged_at is null returning source, batch_date",
            [before],
        ).fetchall()
    return deleted, batches


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    con.begin()
    try:
        yield
    except BaseException:
        con.rollback()
        raise
    con.commit()
