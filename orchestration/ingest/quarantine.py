"""Judge a chunk of observations with its pandera schema: which records are rejected, and why.

A record is rejected whole when any of its observations fails a check. When several checks fail,
the first reason in `REASON_CODES` order is kept (the most basic problem is the one to fix first).
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from orchestration.ingest.parser import SourceParser
from orchestration.ingest.schemas import observation_schema

REASON_CODES = (
    "bad_file",
    "malformed",
    "missing_field",
    "bad_timestamp",
    "unknown_status",
    "status_not_allowed_for_channel",
)
REJECTION_COLUMNS = ["record_id", "reason_code", "reason"]
SHOWN_CHARS = 200  # of a value quoted in a reason (the record itself is kept beside it)


def judge(frame: pd.DataFrame, parser: SourceParser) -> pd.DataFrame:
    """The rejected records of `frame` (one row per observation) with their reason."""
    try:
        observation_schema(parser.name).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    else:
        return pd.DataFrame(columns=REJECTION_COLUMNS)
    if cases["index"].isna().any():
        raise RuntimeError(
            f"{parser.name}: the observation frame does not fit its schema:\n{cases}"
        )
    failed = frame.loc[cases["index"].astype("int64")].reset_index(drop=True)
    failed["reason_code"] = cases["check"].to_numpy()
    failed["column"] = cases["column"].to_numpy()
    failed["rank"] = failed["reason_code"].map(REASON_CODES.index)
    first = failed.sort_values(["record_id", "rank"]).drop_duplicates("record_id")
    reasons = [_reason(row, parser) for row in first.itertuples(index=False)]
    return pd.DataFrame(
        {
            "record_id": first["record_id"].to_numpy(),
            "reason_code": first["reason_code"].to_numpy(),
            "reason": reasons,
        }
    )


def _reason(row, parser: SourceParser) -> str:  # type: ignore[no-untyped-def]
    code = row.reason_code
    if code == "missing_field":
        return f"{parser.required.get(row.column, row.column)} is missing"
    if code == "bad_timestamp":
        if pd.isna(row.time_value):
            return f"no event time: {parser.required.get('event_time', row.time_field)} is missing"
        return f"{row.time_field} {_shown(row.time_value)} is not a valid time"
    if code == "unknown_status":
        return f"{row.raw_field} {_shown(row.raw_value)} is not a known {parser.name} value"
    if code == "status_not_allowed_for_channel":
        return (
            f"{row.raw_field} {_shown(row.raw_value)} is not allowed on channel "
            f"{_shown(row.channel)}"
        )
    return code


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "…"
