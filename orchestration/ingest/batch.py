"""Ingest one (source, batch date): read every landed file, judge every record, replace the slice.

Files are read as units (lines, documents) and packed into chunks (`chunks`), each parsed and
judged in a scratch in-memory DuckDB. The warehouse receives the accepted observations
(`raw.observations`) and the rejected records, verbatim with their reason
(`quarantine.rejected_records`), through the appender. The whole batch is one warehouse
transaction: a run that dies leaves the previous state of the batch intact.

Memory stays at about one chunk whatever the batch: the scratch database frees each chunk's
tables as the next replaces them (inside the batch's transaction they would be kept until its
end), and rows reach the warehouse in inserts of whole row groups (`appender`).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from orchestration import warehouse
from orchestration.ingest import landing, pseudonyms, reader
from orchestration.ingest.appender import Appender
from orchestration.ingest.chunks import Pack
from orchestration.ingest.parser import SourceParser
from orchestration.ingest.records import document_is_json
from orchestration.ingest.reports import BatchReport, FileReport
from orchestration.ingest.sql_functions import register
from orchestration.settings import DEFAULT_MAX_RECORD_BYTES
from orchestration.warehouse import transaction

MAX_DOCUMENT_BYTES = 256 << 20
SLICE_TABLES = (
    "raw.observations",
    "quarantine.rejected_records",
    "audit.ingested_files",
    "audit.ingested_batches",
)


def ingest_batch(
    con: duckdb.DuckDBPyConnection,
    parser: SourceParser,
    landing_dir: Path,
    batch_date: date,
    *,
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
    hmac_key: bytes | None = None,
) -> BatchReport:
    """Ingest one batch; `hmac_key` pseudonymizes personal data (default: the warehouse's)."""
    files = landing.batch_files(landing_dir, parser.name, batch_date, csv=parser.reads_csv)
    report = BatchReport(parser.name, batch_date, landing.fingerprint(files))
    slice_params = [parser.name, batch_date]
    key = hmac_key or pseudonyms.hmac_key(_database_path(con))
    with _scratch(parser, key) as scratch, transaction(con):
        report.files_gone = _files_gone(con, slice_params, {f.name for f in files})
        for table in SLICE_TABLES:
            con.execute(f"delete from {table} where source = ? and batch_date = ?", slice_params)
        rows = Appender(con)
        pack = Pack(rows, scratch, parser, slice_params, report.seconds)
        for file in files:
            report.files.append(_ingest_file(pack, file, max_record_bytes))
        pack.ingest()
        rows.flush()
        if report.files:
            # One insert: executemany would run one statement per file (~1 ms each).
            file_rows = pa.Table.from_pylist([_audit_row(slice_params, f) for f in report.files])
            con.from_arrow(file_rows).project("*, now()").insert_into("audit.ingested_files")
        con.execute(
            "insert into audit.ingested_batches (source, batch_date, files, records_read, "
            "records_accepted, records_rejected, observations, ingested_at) "
            "values (?, ?, ?, ?, ?, ?, ?, now())",
            [
                *slice_params,
                len(files),
                report.records_read,
                report.records_accepted,
                report.records_rejected,
                report.observations,
            ],
        )
    return report


def _audit_row(slice_params: list, file: FileReport) -> dict:
    """The file's row of audit.ingested_files, in its column order, up to `ingested_at`."""
    source, batch_date = slice_params
    return {
        "source": source,
        "batch_date": batch_date,
        "source_file": file.name,
        "size_bytes": file.size_bytes,
        "modified_at": file.modified_at,
        "status": file.status,
        "records_read": file.records_read,
        "records_accepted": file.records_accepted,
        "records_rejected": file.records_rejected,
        "observations": file.observations,
    }


@contextmanager
def _scratch(parser: SourceParser, hmac_key: bytes) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB with the parsing macros, for the work on each chunk."""
    scratch = warehouse.connect(":memory:")
    try:
        register(scratch)
        pseudonyms.register(scratch, hmac_key)
        if parser.macros:
            scratch.execute(parser.macros)
        yield scratch
    finally:
        scratch.close()


def _timed(chunks: Iterator[pa.Table], seconds: dict[str, float]) -> Iterator[pa.Table]:
    """The chunks, with the time spent reading each (decompressing, splitting) added to parse."""
    while True:
        started = time.perf_counter()
        units = next(chunks, None)
        seconds["parse"] += time.perf_counter() - started
        if units is None:
            return
        yield units


def _files_gone(con: duckdb.DuckDBPyConnection, slice_params: list, names: set[str]) -> list[str]:
    read_before = con.execute(
        "select source_file from audit.ingested_files where source = ? and batch_date = ?",
        slice_params,
    ).fetchall()
    return sorted({name for (name,) in read_before} - names)


def _ingest_file(pack: Pack, file: landing.LandingFile, max_record_bytes: int) -> FileReport:
    report = FileReport(
        file.name, file.size, datetime.fromtimestamp(file.mtime_ns / 1e9).astimezone()
    )
    try:
        if not file.regular:
            raise reader.BadFile(f"{file.name!r} is not a regular file (a folder, link or device)")
        if file.format is None:
            raise reader.BadFile(f"{file.name!r} is not a file type this source reads")
        if file.size == 0:
            report.status = "empty"  # a zero-byte file holds no record (not even a bad one)
            return report
        chunks = reader.read_units(file, MAX_DOCUMENT_BYTES, max_record_bytes)
        for units in _timed(chunks, pack.seconds):
            if file.format == "document" and not document_is_json(pack.scratch, units):
                raise reader.BadFile("the file is not valid JSON")
            pack.add(report, units)
    except reader.BadFile as bad:
        _quarantine_file(pack, file, report, str(bad))
    return report


def _quarantine_file(
    pack: Pack, file: landing.LandingFile, report: FileReport, reason: str
) -> None:
    """The file is one bad_file record; what was taken of it already is removed.

    Most bad files are found before any of their records was ingested: then nothing is deleted
    (a delete scans the rows of the batch so far, and needs the pending ones inserted first)."""
    pack.drop(report)
    con = pack.rows.con
    context = [*pack.slice_params, file.name]
    if report.records_read:
        pack.rows.flush()
        for table in ("raw.observations", "quarantine.rejected_records"):
            con.execute(
                f"delete from {table} where source = ? and batch_date = ? and source_file = ?",
                context,
            )
    con.execute(
        "insert into quarantine.rejected_records "
        "values (?, ?, ?, null, null, 'bad_file', ?, ?, now())",
        [*context, reason, reader.preview(file)],
    )
    report.status, report.records_read, report.records_rejected = "bad_file", 1, 1
    report.observations, report.reasons = 0, Counter(bad_file=1)


def _database_path(con: duckdb.DuckDBPyConnection) -> Path:
    row = con.execute(
        "select path from duckdb_databases() where database_name = current_database()"
    ).fetchone()
    return Path(row[0]) if row and row[0] else Path.cwd() / "memory.duckdb"
