"""Ingest one (source, batch date): read every landed file, judge every record, replace the slice.

Per chunk of units, in a scratch in-memory DuckDB: text becomes records and the source's parser
turns them into observations; pandera judges them. A chunk costs about 0.25 s whatever its size,
so the units of small files are packed into chunks of up to a block (`_Pack`). The warehouse
receives the accepted observations (`raw.observations`) and the rejected records, verbatim with
their reason (`quarantine.rejected_records`). The whole batch is one warehouse transaction: a
run that dies leaves the previous state of the batch intact.

Memory stays at about one chunk whatever the batch: the scratch database frees each chunk's
tables as the next replaces them (inside the batch's transaction they would be kept until its
end), and rows reach the warehouse in inserts of whole row groups (`_Appender`; only a batch's
last insert, or one of long rows, holds a partial one), which DuckDB writes to the file before
the commit (smaller uncommitted appends stay in memory).
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
import pyarrow.compute as pc

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
INSERT_ROW_GROUPS = 2  # at least, per insert: DuckDB compresses an insert's groups in parallel
PENDING_BYTES = 128 << 20  # or rows this large (quarantined records can be long)
# A packed unit's line_no: its file's slot in the pack, then its line in the file (a file of
# 2^40 lines or more, a terabyte of newlines, would overlap the next slot: not guarded).
LINE_BITS = 40
MAX_PACKED_FILES = 1 << 12
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
    reasons: Counter[str] = field(default_factory=Counter)  # of the records rejected

    @property
    def records_accepted(self) -> int:
        return self.records_read - self.records_rejected


@dataclass
class BatchReport:
    source: str
    batch_date: date
    fingerprint: str = ""  # of the folder as read (landing.fingerprint)
    files: list[FileReport] = field(default_factory=list)
    files_gone: list[str] = field(default_factory=list)  # read last time, no longer landed
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))

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
    def reasons(self) -> Counter[str]:
        return sum((f.reasons for f in self.files), Counter())


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
        pack = _Pack(rows, scratch, parser, slice_params, report.seconds)
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


class _Appender:
    """Rows bound for the warehouse tables, inserted `INSERT_ROW_GROUPS` row groups or more at
    a time."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.pending: dict[str, list[pa.Table]] = {}

    def add(self, table: str, rows: pa.Table) -> None:
        pending = self.pending.setdefault(table, [])
        pending.append(rows)
        if sum(len(part) for part in pending) >= INSERT_ROW_GROUPS * ROW_GROUP_ROWS:
            self.flush(table, whole_row_groups=True)
        elif sum(part.nbytes for part in pending) >= PENDING_BYTES:
            self.flush(table)

    def flush(self, table: str | None = None, *, whole_row_groups: bool = False) -> None:
        """Insert what is pending (for every table, by default); the time is the insert's.

        With `whole_row_groups`, the rows past the last whole row group stay pending: each insert
        writes its own row groups, and the checkpoint at the end merges the partial ones,
        rewriting them (2-6 s per 2.5M-record batch here). The rows go as Arrow batches of one
        row group each: DuckDB compresses an insert's batches in parallel (a batch of several
        groups, or an insert of one, is one thread's work), and a smaller batch could end a
        group early.

        DuckDB reads `pending_rows` by its Python name (a replacement scan). A view registered
        for it would be dropped only at the batch's commit, keeping every chunk's rows alive
        until then (measured: +1.4 GB over a 2.5M-record batch)."""
        for name in [table] if table else list(self.pending):
            pending_rows = pa.concat_tables(self.pending.pop(name), promote_options="permissive")
            if whole_row_groups:
                whole = len(pending_rows) - len(pending_rows) % ROW_GROUP_ROWS
                self.pending[name] = [pending_rows.slice(whole)]
                pending_rows = pending_rows.slice(0, whole)
            batches = pending_rows.combine_chunks().to_batches(ROW_GROUP_ROWS)
            pending_rows = pa.Table.from_batches(batches, pending_rows.schema)
            self.con.execute(f"insert into {name} select *, now() from pending_rows")
            del pending_rows, batches


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


class _Pack:
    """Units of consecutive files, ingested as one chunk once they fill a block.

    A unit's file is its slot in the pack, kept in the high bits of its `line_no` (which every
    record carries through the parsers' SQL): rows get their file and line back from it, and the
    counts of each file are taken per slot.
    """

    def __init__(
        self,
        rows: _Appender,
        scratch: duckdb.DuckDBPyConnection,
        parser: SourceParser,
        slice_params: list,
        seconds: dict[str, float],
    ) -> None:
        self.rows, self.scratch, self.parser = rows, scratch, parser
        self.slice_params, self.seconds = slice_params, seconds
        self.files: list[FileReport] = []
        self.units: list[tuple[FileReport, pa.Table]] = []
        self.nbytes = 0  # of the units held (a running total: Table.nbytes is not free)

    def add(self, file: FileReport, units: pa.Table) -> None:
        """Take a file's units; a chunk never holds more than a block, or than one table."""
        if self.units and (
            self.nbytes + units.nbytes > reader.BLOCK_BYTES
            or (len(self.files) >= MAX_PACKED_FILES and self.files[-1] is not file)
        ):
            self.ingest()
        if not self.files or self.files[-1] is not file:
            self.files.append(file)
        slot = (len(self.files) - 1) << LINE_BITS
        self.units.append((file, units.set_column(0, "line_no", pc.add(units["line_no"], slot))))
        self.nbytes += units.nbytes
        if self.nbytes >= reader.BLOCK_BYTES:
            self.ingest()

    def drop(self, file: FileReport) -> None:
        """Forget the units of a file found bad (its slot stays: the others keep theirs)."""
        self.units = [(f, t) for f, t in self.units if f is not file]
        self.nbytes = sum(table.nbytes for _, table in self.units)

    def ingest(self) -> None:
        if self.units:
            units = pa.concat_tables([t for _, t in self.units])
            _ingest_chunk(self, units)
        self.files, self.units, self.nbytes = [], [], 0


def _ingest_file(pack: _Pack, file: landing.LandingFile, max_record_bytes: int) -> FileReport:
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
    pack: _Pack, file: landing.LandingFile, report: FileReport, reason: str
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


def _ingest_chunk(pack: _Pack, units: pa.Table) -> None:
    scratch, parser, seconds = pack.scratch, pack.parser, pack.seconds
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
    params = [*pack.slice_params, [f.name for f in pack.files]]
    # In batches of a row group, not DuckDB's default of 1M rows: it reserves a batch's buffers
    # even for a few rows, and rows waiting in `_Appender` keep them (the few quarantined rows of
    # 30 chunks held ~600 MB).
    quarantined = scratch.execute(_QUARANTINE_SQL, params).to_arrow_table(ROW_GROUP_ROWS)
    loaded = scratch.execute(_LOAD_SQL, [*params, parser.dedupe_by_status]).to_arrow_table(
        ROW_GROUP_ROWS
    )
    pack.rows.add("quarantine.rejected_records", quarantined)
    pack.rows.add("raw.observations", loaded)
    seconds["parse"] += parsed - started
    seconds["validate"] += validated - parsed
    seconds["load"] += time.perf_counter() - validated

    for slot, reason, records in scratch.execute(_COUNTS_SQL).fetchall():
        file = pack.files[slot]
        file.records_read += records
        if reason is not None:
            file.records_rejected += records
            file.reasons[reason] += records
    by_name = {f.name: f for f in pack.files}
    for counted in pc.value_counts(loaded.column(2)).to_pylist():
        by_name[counted["values"]].observations += counted["counts"]


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
    r.line_no,
    r.item,
    r.seq,
    without_emails(o.result_key) as result_key,
    without_emails(o.message_key) as message_key,
    without_emails({attribution}) as attribution_key,
    o.raw_field,
    o.raw_value,
    lower(trimmed(o.raw_value)) as raw_status,
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

# The rows of quarantine.rejected_records and raw.observations, but their time (_Appender's);
# $3 lists the files of the pack, by slot.
_QUARANTINE_SQL = """
select
    $1, $2, $3[(r.line_no >> {bits}) + 1], r.line_no & {line_mask}, r.item,
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
    $1, $2, $3[(c.line_no >> {bits}) + 1], c.line_no & {line_mask}, c.item, c.seq, c.observation,
    c.channel, c.raw_field, c.raw_status, c.result_key, $4, c.message_key, c.attribution_key,
    c.event_time,
    c.detail, c.bounce_type, c.engagement_id
from candidates as c
anti join chunk_rejected as j using (record_id)
"""

_COUNTS_SQL = """
select
    (r.line_no >> {bits})::integer as slot,
    coalesce(j.reason_code, case when r.error is not null then 'malformed' end) as reason,
    count(*) as records
from chunk_records as r
left join chunk_rejected as j using (record_id)
group by all
"""
_QUARANTINE_SQL, _LOAD_SQL, _COUNTS_SQL = (
    sql.format(bits=LINE_BITS, line_mask=(1 << LINE_BITS) - 1)
    for sql in (_QUARANTINE_SQL, _LOAD_SQL, _COUNTS_SQL)
)


def _database_path(con: duckdb.DuckDBPyConnection) -> Path:
    row = con.execute(
        "select path from duckdb_databases() where database_name = current_database()"
    ).fetchone()
    return Path(row[0]) if row and row[0] else Path.cwd() / "memory.duckdb"
