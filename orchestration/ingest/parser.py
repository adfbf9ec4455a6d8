"""What a provider parser declares, and how its SQL runs.

A parser is one module in `orchestration/ingest/sources/` holding a `PARSER = SourceParser(...)`.
It names the JSON fields it reads and one SELECT over the relation `fields` (one row per record:
`record_id`, `rec` and one VARCHAR column per field, where absent, JSON null and "" are NULL).
The SELECT yields one row per *observation*, a raw status value the record carries:

    record_id     the record's id, passed through
    result_key    the source's dedupe key without the status; NULL when a key field is missing
    message_key   the message the result is about (unique counts); NULL when missing
    attribution_key   optional: the message an engagement id attributes, when it is wider
                  than message_key (an SES mail, for all its recipients); else message_key
    raw_field     the provider field holding the status (as in status_mapping.csv)
    raw_value     the provider's value, verbatim (compared case-insensitively after trimming)
    channel       only where the record names its channel; else the source's channel is used
    time_field    the field the event time was read from, and time_value its text
    event_time    TIMESTAMPTZ, NULL when the time cannot be read
    detail, bounce_type, engagement_id   optional context, NULL when none

A record with no observation row has no status at all (missing_field). Everything the pipeline
decides about validity (required fields, time, known statuses, channel) is decided downstream by
the pandera schema built from the seeds, not by the parser.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from orchestration.warehouse import literal

OBSERVATION_COLUMNS = (
    "record_id",
    "result_key",
    "message_key",
    "attribution_key",
    "raw_field",
    "raw_value",
    "channel",
    "time_field",
    "time_value",
    "event_time",
    "detail",
    "bounce_type",
    "engagement_id",
)


@dataclass(frozen=True)
class SourceParser:
    name: str
    fields: dict[str, str]  # column name -> JSON path, read as text
    select: str  # SELECT over `fields` yielding OBSERVATION_COLUMNS (channel optional)
    required: dict[str, str]  # canonical column -> provider field(s), for quarantine reasons
    dedupe_by_status: bool  # is the canonical status part of the result's dedupe key?
    string_fields: dict[str, str] = field(default_factory=dict)  # read only when a JSON string
    unwrap: str | None = None  # SQL over `elements` that opens envelopes
    macros: str = ""  # DuckDB temp macros the parser's SQL uses
    reads_csv: bool = False

    def create_observations_view(
        self, con: duckdb.DuckDBPyConnection, records_table: str, view: str
    ) -> list[str]:
        """Define `view` as the parser run over the well-formed records; return its columns."""
        con.execute(
            f"create or replace temp view parser_records as "
            f"select record_id, rec from {records_table} where error is null"
        )
        con.execute(f"create or replace temp view fields as {self._fields_sql()}")
        con.execute(f"create or replace temp view {view} as {self.select}")
        return con.table(view).columns

    def _fields_sql(self) -> str:
        paths = [*self.fields.values(), *self.string_fields.values()]
        columns = [
            f"jtext(values[{i}]) as {_quote(name)}" for i, name in enumerate(self.fields, 1)
        ] + [
            f"jstring(values[{i}]) as {_quote(name)}"
            for i, name in enumerate(self.string_fields, len(self.fields) + 1)
        ]
        path_list = ", ".join(literal(path) for path in paths)
        return (
            f"select record_id, rec, {', '.join(columns)} "
            f"from (select record_id, rec, json_extract(rec, [{path_list}]) as values "
            f"from parser_records)"
        )


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
