"""The one Definitions object: ingest per source → dbt models → publish, on daily batches."""

import warnings

import dagster as dg

from orchestration.automation import (
    freshness_check,
    freshness_schedule,
    landing_sensor,
    nightly_schedule,
)
from orchestration.ingest.assets import ingest_assets
from orchestration.ingest.retention import retention_asset
from orchestration.partitions import daily_batches
from orchestration.publish.assets import publish_assets
from orchestration.resources import EngagementConfig
from orchestration.settings import Settings
from orchestration.transform.assets import dbt_models, dbt_resource
from orchestration.transform.checks import daily_counts_match_taxonomy
from orchestration.transform.metadata import DAILY_COUNTS

# Single-run backfills and pools are marked beta; this project relies on them knowingly.
warnings.filterwarnings("ignore", category=dg.BetaWarning)

JOB_NAME = "engagement_batches"


def build_definitions(settings: Settings) -> dg.Definitions:
    partitions = daily_batches(settings)
    ingest = ingest_assets(partitions)
    models = dbt_models(partitions, [key for asset in ingest for key in asset.keys])
    marts = [key for key in models.keys if key.path[0] == "marts"]
    # Publishing copies the DuckDB warehouse; on Spark the marts are the lake's tables already.
    publish = publish_assets(marts) if settings.engine == "duckdb" else []
    retention = retention_asset([key for asset in publish for key in asset.keys] or marts)
    fresh = freshness_check(DAILY_COUNTS, settings)
    checks = [daily_counts_match_taxonomy] if settings.engine == "duckdb" else []
    everything = dg.define_asset_job(
        JOB_NAME,
        selection=dg.AssetSelection.all() - dg.AssetSelection.checks(fresh),
        partitions_def=partitions,
        description="Ingest every source, build every model and publish, for the batch dates.",
    )
    return dg.Definitions(
        assets=[*ingest, models, *publish, retention],
        asset_checks=[*checks, fresh],
        jobs=[everything],
        schedules=[nightly_schedule(everything, settings), freshness_schedule(fresh, settings)],
        sensors=[landing_sensor(everything, settings)],
        resources={
            "engagement": EngagementConfig.from_settings(settings),
            "dbt": dbt_resource(settings.engine),
        },
        executor=dg.in_process_executor,
    )


defs = build_definitions(Settings.from_env())
