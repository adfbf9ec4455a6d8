"""Daily partitions: one per landing batch date."""

import dagster as dg

from orchestration.settings import Settings

WAREHOUSE_POOL = "duckdb_warehouse"  # every asset that writes the DuckDB file: one at a time


def daily_batches(settings: Settings) -> dg.DailyPartitionsDefinition:
    return dg.DailyPartitionsDefinition(
        start_date=settings.partitions_start.isoformat(),
        timezone=settings.timezone,
        end_offset=1,  # today's batch is addressable (late files, manual runs)
    )
