"""DuckDB alone on a batch's files, for the benchmark: its floor and its two writes.

Both reach every event as the pipeline does, with the sources' own SQL: each line or document
read (once; where a source's unwrap has branches, once per branch: Mailgun three, SES two),
arrays opened into their elements, envelopes by the source's unwrap, and the fields its parser
names. Nothing else of the pipeline: no record text or position, no validation, pseudonyms,
dedupe or summaries.

- floor: each event's raw status values grouped per day of its event time (the parser's time
  functions, in UTC): what the issue calls the least any pipeline must do;
- read once: the floor this benchmark had until 2026-12-08, kept to compare with its figures:
  each line or document parsed once and grouped by its top-level status field, arrays and
  envelopes left closed (no value is reached in a SendGrid array, a Mailgun page or webhook, an
  SNS notification or an Airbyte record) and no day;
- two writes: the parser's fields of every record written to a table, and those rows again to a
  second one: the least a pipeline with a raw layer and a fact table does.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import duckdb

from orchestration.ingest import landing, sql_functions
from orchestration.ingest.parser import SourceParser
from orchestration.ingest.sources import all_parsers
from orchestration.warehouse import create, literal

# The top-level fields `read_once` groups by.
STATUS_FIELDS = ("CallStatus", "MessageStatus", "event", "eventType", "event_type", "status")

# The relation `elements` an unwrap reads (records.py), with only what the floor needs: each
# object of a line or document, and each object of its array, read in one pass.
ELEMENTS_SQL = """
select null::bigint as line_no, null::varchar as item, [0] as ord, element as raw, element as rec,
    null::varchar as error
from (
    select unnest(case when json_type(json) = 'ARRAY' then json_extract(json, '$[*]')::varchar[]
                       else [json] end) as element
    from units
)
where json_type(element) = 'OBJECT'
"""


def floor(landing_dir: Path, first: date, last: date) -> tuple[float, Counter]:
    """Seconds to group every event's raw status values per day, and the groups' counts by
    (source, raw value, day)."""
    con = duckdb.connect()
    sql_functions.register(con)
    groups: Counter = Counter()
    started = time.monotonic()
    for source, parser in all_parsers().items():
        if _define_events(con, parser, batch_files(landing_dir, first, last, source)):
            for value, day, count in con.execute(
                "select raw_value, event_time::date, count(*) from observations group by all"
            ).fetchall():
                groups[source, value, day] = count
    return round(time.monotonic() - started, 3), groups


def read_once(landing_dir: Path, first: date, last: date) -> float:
    """Seconds to parse every line and document once, grouping their top-level status values."""
    lines, documents, tables = batch_files(landing_dir, first, last)
    value = "coalesce(" + ", ".join(f"json ->> '{f}'" for f in STATUS_FIELDS) + ")"
    con = duckdb.connect()
    started = time.monotonic()
    for paths, fmt in ((lines, "newline_delimited"), (documents, "auto")):
        if paths:
            con.execute(
                f"select {value} as raw_value, count(*) from read_json_objects(?, format = "
                f"'{fmt}', ignore_errors = true) group by raw_value",
                [paths],
            ).fetchall()
    if tables:
        con.execute(
            "select status, count(*) from read_csv(?, all_varchar = true, union_by_name = true) "
            "group by status",
            [tables],
        ).fetchall()
    return round(time.monotonic() - started, 3)


def two_writes(landing_dir: Path, first: date, last: date, database: Path) -> tuple[float, Counter]:
    """Seconds to write every record's parser fields (as text) to a table per source, then those
    rows again to a second one, in a file of its own; and the records written per source."""
    database.unlink(missing_ok=True)
    con = create(database)  # in the warehouse's format
    sql_functions.register(con)
    written = []
    started = time.monotonic()
    for source, parser in all_parsers().items():
        if _define_events(con, parser, batch_files(landing_dir, first, last, source)):
            con.execute(
                f"create table raw_{source} as select * exclude (record_id, rec) from fields"
            )
            con.execute(f"create table fact_{source} as select * from raw_{source}")
            written.append(source)
    con.execute("checkpoint")
    seconds = round(time.monotonic() - started, 3)
    records = Counter(
        {s: con.execute(f"select count(*) from raw_{s}").fetchone()[0] for s in written}  # type: ignore[index]
    )
    con.close()
    database.unlink()
    return seconds, records


def batch_files(
    landing_dir: Path, first: date, last: date, source: str | None = None
) -> tuple[list[str], list[str], list[str]]:
    """The batch's files (of one source, or all) as (JSON lines, JSON documents, CSV), as ingest
    lists them, without the deliberately broken files the generator adds (they hold no record)."""
    by_format: dict[str, list[str]] = {"lines": [], "document": [], "csv": []}
    parsers = all_parsers()
    for name in [source] if source else parsers:
        for day in range((last - first).days + 1):
            batch_date = first + timedelta(days=day)
            for file in landing.batch_files(
                landing_dir, name, batch_date, csv=parsers[name].reads_csv
            ):
                if file.format and file.regular and "broken-" not in file.name:
                    by_format[file.format].append(str(file.path))
    return by_format["lines"], by_format["document"], by_format["csv"]


def _define_events(
    con: duckdb.DuckDBPyConnection,
    parser: SourceParser,
    files: tuple[list[str], list[str], list[str]],
) -> bool:
    """Define the views `fields` (a record's parser fields) and `observations` (its status
    values and event time) over the source's files; False when it has none."""
    lines, documents, tables = files
    units = [
        f"select json from read_json_objects({_list(paths)}, format = '{fmt}', "
        "ignore_errors = true)"
        for paths, fmt in ((lines, "newline_delimited"), (documents, "auto"))
        if paths
    ]
    if tables:
        units.append(
            f"select to_json(row)::varchar as json from read_csv({_list(tables)}, "
            "all_varchar = true, union_by_name = true) as row"
        )
    if not units:
        return False
    if parser.macros:
        con.execute(parser.macros)
    con.execute(f"create or replace temp view units as {' union all '.join(units)}")
    con.execute(f"create or replace temp view elements as {ELEMENTS_SQL}")
    con.execute(
        "create or replace temp view floor_records as "
        "select null::bigint as record_id, rec, error "  # the floor needs no record's identity
        f"from ({parser.unwrap or 'select * from elements'})"
    )
    parser.create_observations_view(con, "floor_records", "observations")
    return True


def _list(paths: list[str]) -> str:
    return "[" + ", ".join(literal(path) for path in paths) + "]"
