"""Units of consecutive files packed into chunks; each chunk parsed, judged and loaded.

A chunk costs about 0.25 s whatever its size, so the units of small files are packed into
chunks of up to a block. In the scratch DuckDB, text becomes records and the source's parser
turns them into observations; pandera judges them; the accepted observations and the rejected
records (verbatim, with their reason) go to the appender, and each file's counts to its report.
"""

from __future__ import annotations

import ctypes
import time

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from orchestration import taxonomy
from orchestration.ingest import reader
from orchestration.ingest.appender import ROW_GROUP_ROWS, Appender
from orchestration.ingest.parser import SourceParser
from orchestration.ingest.quarantine import judge
from orchestration.ingest.records import SCAN_ROWS, load_records
from orchestration.ingest.reports import FileReport

# A packed unit's line_no: its file's slot in the pack, then its line in the file (a file of
# 2^40 lines or more, a terabyte of newlines, would overlap the next slot: not guarded).
LINE_BITS = 40
MAX_PACKED_FILES = 1 << 12


class Pack:
    """Units of consecutive files, ingested as one chunk once they fill a block.

    A unit's file is its slot in the pack, kept in the high bits of its `line_no` (which every
    record carries through the parsers' SQL): rows get their file and line back from it, and the
    counts of each file are taken per slot.
    """

    def __init__(
        self,
        rows: Appender,
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
            _release_freed_memory()
        self.files, self.units, self.nbytes = [], [], 0


def _ingest_chunk(pack: Pack, units: pa.Table) -> None:
    scratch, parser, seconds = pack.scratch, pack.parser, pack.seconds
    started = time.perf_counter()
    load_records(scratch, units, parser.unwrap, "chunk_records")
    columns = parser.create_observations_view(scratch, "chunk_records", "chunk_observations")
    attribution = "o.attribution_key" if "attribution_key" in columns else "o.message_key"
    candidates = scratch.sql(
        _CANDIDATES_SQL.format(channel=_default_channel(parser, columns), attribution=attribution)
    ).to_arrow_table(SCAN_ROWS)
    scratch.register("candidates", candidates)
    frame = candidates.select(JUDGED_COLUMNS).to_pandas(types_mapper=pd.ArrowDtype)
    parsed = time.perf_counter()
    rejected = judge(frame, parser)
    validated = time.perf_counter()
    scratch.register("chunk_rejected", rejected.astype({"record_id": "int64"}))
    params = [*pack.slice_params, [f.name for f in pack.files]]
    # In batches of a row group, not DuckDB's default of 1M rows: it reserves a batch's buffers
    # even for a few rows, and rows waiting in the appender keep them (the few quarantined rows
    # of 30 chunks held ~600 MB).
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
    # Freed now, not when the next chunk's replace them: two chunks are never held at once.
    for relation in ("chunk_records", "candidates", "chunk_rejected"):
        scratch.unregister(relation)


def _release_freed_memory() -> None:
    """Give the heap a chunk freed back to the system. glibc keeps it in the arena of the thread
    that allocated it (DuckDB's workers build a chunk's Arrow tables): over a 10M-event ingest
    RSS ended 90-250 MB above the parent's, and below it with this (under 1 ms a chunk). Without
    glibc, nothing."""
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


_MALLOC_TRIM = getattr(ctypes.CDLL(None), "malloc_trim", None)


def _default_channel(parser: SourceParser, columns: list[str]) -> str:
    if "channel" in columns:
        return "o.channel"
    channels = taxonomy.load().source_channels(parser.name)
    if len(channels) != 1:
        raise ValueError(f"{parser.name} maps to channels {channels}; its parser must read one")
    return "'" + channels[0] + "'"


JUDGED_COLUMNS = [
    "record_id",
    "result_key",
    "message_key",
    "raw_field",
    "raw_value",
    "raw_status",
    "channel",
    "time_field",
    "time_value",
    "event_time",
]

_CANDIDATES_SQL = """
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

# The rows of quarantine.rejected_records and raw.observations, but their time (the appender
# adds it); $3 lists the files of the pack, by slot.
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
