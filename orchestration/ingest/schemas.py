"""Pandera schemas generated from the taxonomy and mapping seeds.

Each check is named after the quarantine reason it stands for, so a failed check *is* the reason a
record is rejected. `ObservationSchema` judges what a parser read, per source, at ingest;
`ResultSchema` judges canonical results (the marts) against the taxonomy.
"""

from __future__ import annotations

from functools import cache

import pandas as pd
import pandera.pandas as pa

from orchestration import taxonomy

SEP = "\x1f"


def _present(series: pd.Series) -> pd.Series:
    return series.notna()


def _joined(frame: pd.DataFrame, *columns: str) -> pd.Series:
    joined = frame[columns[0]].astype("string[pyarrow]")
    for column in columns[1:]:
        joined = joined + SEP + frame[column].astype("string[pyarrow]")
    return joined


def _required(reason: str) -> pa.Column:
    return pa.Column(nullable=True, checks=pa.Check(_present, name=reason, ignore_na=False))


@cache
def observation_schema(source: str) -> pa.DataFrameSchema:
    tax = taxonomy.load()
    known = {SEP.join(pair) for pair in tax.known_values(source)}
    allowed = {SEP.join(triple) for triple in tax.allowed_values(source)}

    def is_known(frame: pd.DataFrame) -> pd.Series:
        return frame["raw_status"].isna() | _joined(frame, "raw_field", "raw_status").isin(known)

    def allowed_for_channel(frame: pd.DataFrame) -> pd.Series:
        judged = frame["raw_status"].notna() & frame["channel"].notna() & is_known(frame)
        triple = _joined(frame, "channel", "raw_field", "raw_status")
        return ~judged | triple.isin(allowed).fillna(False)

    return pa.DataFrameSchema(
        name=f"{source} observations",
        columns={
            "result_key": _required("missing_field"),
            "message_key": _required("missing_field"),
            "raw_value": _required("missing_field"),
            "channel": _required("missing_field"),
            "event_time": _required("bad_timestamp"),
        },
        checks=[
            pa.Check(is_known, name="unknown_status"),
            pa.Check(allowed_for_channel, name="status_not_allowed_for_channel"),
        ],
    )


@cache
def result_schema() -> pa.DataFrameSchema:
    """Canonical results: every (channel, status) is in the taxonomy; counts are whole and sane."""
    tax = taxonomy.load()
    pairs = {
        f"{channel}{SEP}{status}" for channel in tax.channels for status in tax.statuses[channel]
    }

    def in_taxonomy(frame: pd.DataFrame) -> pd.Series:
        return _joined(frame, "channel", "status").isin(pairs).fillna(False)

    return pa.DataFrameSchema(
        name="canonical results",
        columns={
            "event_date": pa.Column(nullable=False),
            "channel": pa.Column(
                str, pa.Check.isin(list(tax.channels)), nullable=False, coerce=True
            ),
            "status": pa.Column(str, nullable=False, coerce=True),
        },
        checks=[pa.Check(in_taxonomy, name="status_allowed_for_channel")],
    )
