"""Retention: the raw and quarantined records of batches older than ENGAGEMENT_RETENTION_DAYS
are deleted at the end of each run (after publish), in the warehouse and in the lake; the facts
and summaries built from them stay (those batches are frozen: dbt no longer rebuilds them)."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import dagster as dg

from orchestration import warehouse
from orchestration.ingest import lake
from orchestration.partitions import WAREHOUSE_POOL
from orchestration.resources import EngagementConfig

RETENTION = dg.AssetKey(["raw", "retention"])


def retention_asset(after: Sequence[dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.asset(
        key=RETENTION,
        deps=list(after),
        group_name="ingest",
        owners=["team:data-platform"],
        kinds={"duckdb"},
        pool=WAREHOUSE_POOL,
        description=(
            "Deletes raw and quarantined records of batches older than "
            "ENGAGEMENT_RETENTION_DAYS (off when unset); the marts keep their counts."
        ),
    )
    def raw_retention(engagement: EngagementConfig) -> dg.MaterializeResult:
        if not engagement.retention_days:
            return dg.MaterializeResult(metadata={"retention": "off"})
        today = datetime.now(ZoneInfo(engagement.timezone)).date()
        horizon = today - timedelta(days=engagement.retention_days)
        with warehouse.writer(engagement.warehouse_path) as con:
            deleted, batches = warehouse.purge(con, horizon)
            for source, batch_date in batches:
                lake.export_batch(con, engagement.lake_path, source, batch_date)
        return dg.MaterializeResult(
            metadata={
                "purged_before": str(horizon),
                "batches_purged": len(batches),
                **{f"rows_deleted_{t}": n for t, n in deleted.items()},
            }
        )

    return raw_retention
