"""The lake: each batch's ingest tables as Parquet, the input both dbt targets can read.

    <lake>/<table>/source=<source>/batch_date=<date>/part-0.parquet

One file per table and batch, written beside its place and moved in (`os.replace`), so a reader
sees the previous batch or the new one, never half of it. Written after the warehouse commits
the batch: a run that dies in between leaves the previous file until the batch is run again.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import duckdb

from orchestration.warehouse import literal

TABLES = {
    "observations": "raw.observations",
    "rejected_records": "quarantine.rejected_records",
    "ingested_batches": "audit.ingested_batches",
}
PART = "part-0.parquet"


def partition(lake_dir: Path, table: str, source: str, batch_date: date) -> Path:
    return lake_dir / table / f"source={source}" / f"batch_date={batch_date.isoformat()}"


def export_batch(
    con: duckdb.DuckDBPyConnection, lake_dir: Path, source: str, batch_date: date
) -> None:
    """Replace the batch's files with its rows in the warehouse (none: an empty file).

    Their row order means nothing (readers group and join), and without it DuckDB writes a file
    on both cores: Twilio voice at 10M (3.2M rows), 2.4 → 1.5 s."""
    con.execute("set preserve_insertion_order = false")
    try:
        _export(con, lake_dir, source, batch_date)
    finally:
        con.execute("reset preserve_insertion_order")


def _export(con: duckdb.DuckDBPyConnection, lake_dir: Path, source: str, batch_date: date) -> None:
    for table, warehouse_table in TABLES.items():
        folder = partition(lake_dir, table, source, batch_date)
        folder.mkdir(parents=True, exist_ok=True)
        temporary = folder / f".{PART}.{os.getpid()}.tmp"  # hidden: readers skip dot files
        # COPY streams the rows to the file; a relation with parameters (`con.sql(query,
        # params=...)`) is computed whole first (1.1 GB more for 3.2M observations).
        con.execute(
            f"copy (select * exclude (source, batch_date) from {warehouse_table} "
            "where source = $source and batch_date = $batch_date) "
            f"to {literal(temporary)} (format parquet, compression zstd)",
            {"source": source, "batch_date": batch_date},
        )
        os.replace(temporary, folder / PART)
