"""Text units (lines, documents) → records, in DuckDB.

A unit holding one JSON object is one record; a JSON array holds one record per element; blank
units and empty arrays hold none. What cannot be a record (not JSON, not an object) stays a row
with an `error`, so that it is quarantined as `malformed` with its position. A source may unwrap
envelopes (SNS, webhook bodies, API pages) with its own SQL over the `elements` relation.

The relation `elements` (what an unwrap reads) and an unwrap's result have the columns
    line_no BIGINT, item VARCHAR, ord INTEGER[], raw VARCHAR, rec VARCHAR, error VARCHAR
where `line_no` identifies the unit (its file and line: pass it through as it is), `item` says
where inside the line a record sits (e.g. `[2]`, `items[0]`), `ord` orders the records of a
line, `raw` is the text quarantined for the record and `rec` the JSON object parsed.
The text kept in `raw` is bounded: past RECORD_PREVIEW_CHARS it is cut, with a marker saying so.

A record's `record_id` orders the records of the chunk as their lines and `ord` do, and `seq`
numbers the records of a line. Without an unwrap, a record is a unit (`ord` [0]) or an element of
its array (`ord` [position]), and both come from the unit's row in the chunk and that position.
An unwrap's `ord` may nest, so its records are sorted (~1 s per million records here).
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa

RECORD_PREVIEW_CHARS = 1 << 16
# A chunk's relations are Arrow tables in batches of this many rows, which DuckDB scans on every
# core: a temp table is scanned per row group (122,880 rows), so most chunks on one thread only.
SCAN_ROWS = 1 << 14

ELEMENTS_SQL = """
with checked as (
    select unit_no, line_no, text, error, is_json(text) as valid
    from units_chunk
),

-- Valid JSON is never blank: only the other units need the (costlier) trim.
units as (
    select
        unit_no,
        line_no,
        text,
        coalesce(error, case when not valid then 'the line is not valid JSON' end) as error
    from checked
    where error is not null or valid or trim(text, chr(32) || chr(9) || chr(13) || chr(10)) <> ''
),

typed as (
    select *, case when error is null then json_type(text) end as json_kind
    from units
)

select
    unit_no,
    line_no,
    null::varchar as item,
    [0] as ord,
    text as raw,
    case when json_kind = 'OBJECT' then text end as rec,
    coalesce(error, case when json_kind <> 'OBJECT' then 'the value is not a JSON object' end)
        as error
from typed
where json_kind is distinct from 'ARRAY'

union all

select
    unit_no,
    line_no,
    '[' || (position - 1) || ']' as item,
    [position] as ord,
    element as raw,
    case when json_type(element) = 'OBJECT' then element end as rec,
    case when json_type(element) <> 'OBJECT' then
        'array element ' || (position - 1) || ' is not a JSON object' end as error
from (
    select
        unit_no,
        line_no,
        unnest(json_extract(text, '$[*]'))::varchar as element,
        unnest(range(1, json_array_length(text)::bigint + 1)) as position
    from typed
    where json_kind = 'ARRAY'
)
"""

# (record_id, seq) of a record with an unwrap, and without: a unit has fewer than 2^32 elements.
SORTED_IDS = (
    "row_number() over (order by line_no, ord)",
    "row_number() over (partition by line_no order by ord)",
)
UNIT_IDS = "(unit_no << 32) + ord[1]", "greatest(ord[1], 1)"

RECORDS_SQL = """
select
    {record_id} as record_id,
    line_no,
    item,
    {seq}::integer as seq,
    case when length(raw) > {preview}
         then left(raw, {preview}) || ' … [cut: ' || length(raw) || ' characters]'
         else raw end as raw,
    rec,
    error
from ({unwrapped})
"""


def load_records(
    con: duckdb.DuckDBPyConnection, units: pa.Table, unwrap_sql: str | None, table: str
) -> None:
    """Materialize the records of one chunk of units as the Arrow table registered as `table`."""
    unit_no = pa.array(np.arange(units.num_rows, dtype=np.int64))
    numbered = units.append_column("unit_no", unit_no)
    con.register("units_chunk", pa.Table.from_batches(numbered.to_batches(SCAN_ROWS)))
    con.execute(f"create or replace temp view unit_elements as {ELEMENTS_SQL}")
    if unwrap_sql is None:
        (record_id, seq), unwrapped = UNIT_IDS, "select * from unit_elements"
    else:
        con.execute(
            "create or replace temp view elements as select * exclude (unit_no) from unit_elements"
        )
        (record_id, seq), unwrapped = SORTED_IDS, unwrap_sql
    sql = RECORDS_SQL.format(
        record_id=record_id, seq=seq, unwrapped=unwrapped, preview=RECORD_PREVIEW_CHARS
    )
    con.register(table, con.sql(sql).to_arrow_table(SCAN_ROWS))
    con.unregister("units_chunk")


def document_is_json(con: duckdb.DuckDBPyConnection, units: pa.Table) -> bool:
    """`is_json` on a document (one unit), as on lines. Its text goes as a parameter:
    registering a table per file cost ~3.5 ms, 5 s over the 1,300 Mailgun pages of a 10M batch."""
    return bool(con.execute("select is_json(?)", [units["text"][0].as_py()]).fetchone()[0])  # type: ignore[index]
