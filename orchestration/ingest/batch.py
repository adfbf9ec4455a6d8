"""Ingest one (source, batch date): read every landed file, judge every record, replace the slice.

Per chunk of units, in a scratch in-memory DuckDB: text becomes records and the source's parser
turns them into observations; pandera judges them. The warehouse receives the accepted
observations (`raw.observations`) and the rejected records, verbatim with their reason
(`quarantine.rejected_records`). The whole batch is one warehouse transaction: a run that dies
leaves the previous state of the batch intact.

Memory stays at about one chunk whatever the batch: the scratch database frees each chunk's
tables as the next replaces them (inside the batch's transaction they would be kept until its
end), and rows reach the warehouse in inserts of a row group or more, which DuckDB writes to the
file before the commit (smaller uncommitted appends stay in memory).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from orchestration import taxonomy, warehouse
from orchestration.ingest import landing, pseudonyms, reader
from orchestration.ingest.parser import SourceParser
from orchestration.ingest.quarantine import judge
from orchestration.ingest.records import document_is_json, load_records
from orchestration.ingest.sql_functions import register
from orchestration.settings import DEFAULT_MAX_RECORD_BYTES
from orchestration.warehouse import transaction

MAX_DOCUMENT_BYTES = 256 << 20
ROW_GROUP_ROWS = 122_880  # DuckDB's; an uncommitted append this large is written to disk
PENDING_BYTES = 64 << 20  # or rows this large (quarantined records can be long)
STAGES = ("parse", "validate", "load")  # where ingest time goes, reported per batch
SLICE_TABLES = (
    "raw.observations",
    "quarantine.rejected_records",
    "audit.ingested_files",
    "audit.ingested_batches",
)


@dataclass
class FileReport:
    name: str
    size_bytes: int
    modified_at: datetime
    status: str = "loaded"
    records_read: int = 0
    records_rejected: int = 0
    observations: int = 0
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))

    @property
    def records_accepted(self) -> int:
        return self.records_read - self.records_rejected


@dataclass
class BatchReport:
    source: str
    batch_date: date
    fingerprint: str = ""  # of the folder as read (landing.fingerprint)
    files: list[FileReport] = field(default_factory=list)
    reasons: Counter[str] = field(default_factory=Counter)
    files_gone: list[str] = field(default_factory=list)  # read last time, no longer landed

    @property
    def records_read(self) -> int:
        return sum(f.records_read for f in self.files)

    @property
    def records_rejected(self) -> int:
        return sum(f.records_rejected for f in self.files)

    @property
    def records_accepted(self) -> int:
        return self.records_read - self.records_rejected

    @property
    def observations(self) -> int:
        return sum(f.observations for f in self.files)

    @property
    def seconds(self) -> dict[str, float]:
        return {stage: sum(f.seconds[stage] for f in self.files) for stage in STAGES}


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
        rows = _Appender(con)
        for file in files:
            report.files.append(
                _ingest_file(
                    rows, scratch, parser, file, batch_date, report.reasons, max_record_bytes
                )
            )
        rows.flush()
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


class _Appender:
    """Rows bound for the warehouse tables, inserted a row group or more at a time."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.pending: dict[str, list[pa.Table]] = {}

    def add(self, table: str, rows: pa.Table) -> None:
        pending = self.pending.setdefault(table, [])
        pending.append(rows)
        if (
            sum(len(part) for part in pending) >= ROW_GROUP_ROWS
            or sum(part.nbytes for part in pending) >= PENDING_BYTES
        ):
            self.flush(table)

    def flush(self, table: str | None = None) -> None:
        """Insert what is pending (for every table, by default); the time is the insert's.

        DuckDB reads `pending_rows` by its Python name (a replacement scan). A view registered
        for it would be dropped only at the batch's commit, keeping every chunk's rows alive
        until then (measured: +1.4 GB over a 2.5M-record batch)."""
        for name in [table] if table else list(self.pending):
            pending_rows = pa.concat_tables(self.pending.pop(name), promote_options="permissive")
            self.con.execute(f"insert into {name} select *, now() from pending_rows")
            del pending_rows


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


def _ingest_file(
    rows: _Appender,
    scratch: duckdb.DuckDBPyConnection,
    parser: SourceParser,
    file: landing.LandingFile,
    batch_date: date,
    reasons: Counter[str],
    max_record_bytes: int,
) -> FileReport:
    report = FileReport(
        file.name, file.size, datetime.fromtimestamp(file.mtime_ns / 1e9).astimezone()
    )
    con = rows.con
    context = [parser.name, batch_date, file.name]
    file_reasons: Counter[str] = Counter()
    try:
        if not file.regular:
            raise reader.BadFile(f"{file.name!r} is not a regular file (a folder, link or device)")
        if file.format is None:
            raise reader.BadFile(f"{file.name!r} is not a file type this source reads")
        if file.size == 0:
            report.status = "empty"  # a zero-byte file holds no record (not even a bad one)
        chunks = reader.read_units(file, MAX_DOCUMENT_BYTES, max_record_bytes)
        for units in _timed(chunks if file.size else iter(()), report.seconds):
            if file.format == "document" and not document_is_json(scratch, units):
                raise reader.BadFile("the file is not valid JSON")
            _ingest_chunk(rows, scratch, parser, units, context, report, file_reasons)
    except reader.BadFile as bad:
        rows.flush()
        for table in ("raw.observations", "quarantine.rejected_records"):
            con.execute(
                f"delete from {table} where source = ? and batch_date = ? and source_file = ?",
                context,
            )
        con.execute(
            "insert into quarantine.rejected_records "
            "values (?, ?, ?, null, null, 'bad_file', ?, ?, now())",
            [*context, str(bad), reader.preview(file)],
        )
        report.status, report.records_read, report.records_rejected = "bad_file", 1, 1
        report.observations = 0
        file_reasons = Counter(bad_file=1)
    reasons.update(file_reasons)
    con.execute(
        "insert into audit.ingested_files values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now())",
        [
            *context,
            report.size_bytes,
            report.modified_at,
            report.status,
            report.records_read,
            report.records_accepted,
            report.records_rejected,
            report.observations,
        ],
    )
    return report


def _ingest_chunk(
    rows: _Appender,
    scratch: duckdb.DuckDBPyConnection,
    parser: SourceParser,
    units: pa.Table,
    context: list,
    report: FileReport,
    reasons: Counter[str],
) -> None:
    started = time.perf_counter()
    load_records(scratch, units, parser.unwrap, "chunk_records")
    columns = parser.create_observations_view(scratch, "chunk_records", "chunk_observations")
    attribution = "o.attribution_key" if "attribution_key" in columns else "o.message_key"
    scratch.execute(
        _CANDIDATES_SQL.format(channel=_default_channel(parser, columns), attribution=attribution)
    )
    frame = (
        scratch.sql(
            "select record_id, result_key, message_key, raw_field, raw_value, raw_status, "
            "channel, time_field, time_value, event_time from candidates"
        )
        .arrow()
        .read_all()
        .to_pandas(types_mapper=pd.ArrowDtype)
    )
    parsed = time.perf_counter()
    rejected = judge(frame, parser)
    validated = time.perf_counter()
    scratch.register("chunk_rejected", rejected.astype({"record_id": "int64"}))
    quarantined = scratch.execute(_QUARANTINE_SQL, context).fetch_arrow_table()
    loaded = scratch.execute(_LOAD_SQL, [*context, parser.dedupe_by_status]).fetch_arrow_table()
    rows.add("quarantine.rejected_records", quarantined)
    rows.add("raw.observations", loaded)
    report.seconds["parse"] += parsed - started
    report.seconds["validate"] += validated - parsed
    report.seconds["load"] += time.perf_counter() - validated

    counts = scratch.sql(
        "select count(*), count(*) filter (where error is not null) from chunk_records"
    ).fetchone()
    assert counts is not None
    report.records_read += counts[0]
    report.records_rejected += counts[1] + len(rejected)
    report.observations += len(loaded)
    reasons["malformed"] += counts[1]
    reasons.update(rejected["reason_code"].tolist())


def _default_channel(parser: SourceParser, columns: list[str]) -> str:
    if "channel" in columns:
        return "o.channel"
    channels = taxonomy.load().source_channels(parser.name)
    if len(channels) != 1:
        raise ValueError(f"{parser.name} maps to channels {channels}; its parser must read one")
    return "'" + channels[0] + "'"


_CANDIDATES_SQL = """
create or replace temp table candidates as
select
    r.record_id,
    without_emails(o.result_key) as result_key,
    without_emails(o.message_key) as message_key,
    without_emails({attribution}) as attribution_key,
    o.raw_field,
    o.raw_value,
    lower(trim(o.raw_value)) as raw_status,
    {channel} as channel,
    o.time_field,
    o.time_value,
    o.event_time,
    redacted(o.detail) as detail,
    redacted(o.bounce_type) as bounce_type,
    o.engagement_id,
    row_number() over (partition by r.record_id order by o.raw_field, o.result_key)::integer
        as observation
from chunk_records as r
left join chunk_observations as o using (record_id)
where r.error is null
"""

# The rows of quarantine.rejected_records and raw.observations, but their time (_Appender's).
_QUARANTINE_SQL = """
select
    $1, $2, $3, r.line_no, r.item,
    coalesce(j.reason_code, 'malformed'),
    coalesce(j.reason, r.error),
    r.raw
from chunk_records as r
left join chunk_rejected as j using (record_id)
where r.error is not null or j.record_id is not null
order by r.record_id
"""

_LOAD_SQL = """
select
    $1, $2, $3, r.line_no, r.item, r.seq, c.observation,
    c.channel, c.raw_field, c.raw_status, c.result_key, $4, c.message_key, c.attribution_key,
    c.event_time,
    c.detail, c.bounce_type, c.engagement_id
from candidates as c
join chunk_records as r using (record_id)
anti join chunk_rejected as j using (record_id)
"""


def _database_path(con: duckdb.DuckDBPyConnection) -> Path:
    row = con.execute(
        "select path from duckdb_databases() where database_name = current_database()"
    ).fetchone()
    return Path(row[0]) if row and row[0] else Path.cwd() / "memory.duckdb"
