"""Checks of the marts that dbt tests do not express: the pandera taxonomy schema."""

import dagster as dg
import pandera.pandas as pa

from orchestration import warehouse
from orchestration.ingest.schemas import result_schema
from orchestration.partitions import WAREHOUSE_POOL
from orchestration.resources import EngagementConfig

DAILY_COUNTS = dg.AssetKey(["marts", "daily_result_counts"])


@dg.asset_check(
    asset=DAILY_COUNTS,
    blocking=True,
    pool=WAREHOUSE_POOL,  # it opens the warehouse: not while another run writes it
    description="Every (channel, status) counted is in the taxonomy seed (pandera).",
)
def daily_counts_match_taxonomy(engagement: EngagementConfig) -> dg.AssetCheckResult:
    con = warehouse.connect(engagement.warehouse_path, read_only=True)
    try:
        frame = con.sql("select event_date, channel, status from marts.daily_result_counts").df()
    finally:
        con.close()
    try:
        result_schema().validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
        return dg.AssetCheckResult(
            passed=False,
            metadata={
                "failures": len(cases),
                "examples": dg.MetadataValue.md(cases.head(20).to_markdown()),
            },
        )
    return dg.AssetCheckResult(passed=True, metadata={"rows_checked": len(frame)})
