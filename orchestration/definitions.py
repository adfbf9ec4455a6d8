"""The one Definitions object: ingest per source → dbt models, on daily batch partitions."""

from __future__ import annotations

import dagster as dg

from orchestration.ingest.assets import ingest_assets
from orchestration.partitions import daily_batches
from orchestration.resources import EngagementConfig
from orchestration.settings import Settings
from orchestration.transform.assets import dbt_models, dbt_resource

settings = Settings.from_env()
partitions = daily_batches(settings)
ingest = ingest_assets(partitions)
models = dbt_models(partitions, [key for asset in ingest for key in asset.keys])

everything = dg.define_asset_job(
    "engagement_batches",
    selection=dg.AssetSelection.all(),
    partitions_def=partitions,
    description="Ingest every source and build every model for the selected batch dates.",
)

defs = dg.Definitions(
    assets=[*ingest, models],
    jobs=[everything],
    resources={
        "engagement": EngagementConfig.from_settings(settings),
        "dbt": dbt_resource(),
    },
    executor=dg.in_process_executor,
)
