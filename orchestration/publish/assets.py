"""Publish: the serving snapshot BI reads, and the HTML report, after every blocking check."""

from collections.abc import Sequence

import dagster as dg

from orchestration.partitions import WAREHOUSE_POOL
from orchestration.publish import report, snapshot
from orchestration.resources import EngagementConfig

PUBLISH_GROUP = "publish"
OWNERS = ["team:data-platform"]
SNAPSHOT = dg.AssetKey(["serving", "warehouse"])
REPORT = dg.AssetKey(["serving", "report"])


def publish_assets(marts: Sequence[dg.AssetKey]) -> list[dg.AssetsDefinition]:
    @dg.asset(
        key=SNAPSHOT,
        deps=list(marts),
        group_name=PUBLISH_GROUP,
        owners=OWNERS,
        kinds={"duckdb", "parquet"},
        pool=WAREHOUSE_POOL,
        description=(
            "Read-only copy of the marts for BI (ENGAGEMENT_SERVING_DIR/warehouse.duckdb) and "
            "Parquet by month, swapped in atomically. Runs only when the blocking checks of "
            "everything upstream passed."
        ),
    )
    def serving_warehouse(context: dg.AssetExecutionContext, engagement: EngagementConfig):
        published = snapshot.publish(
            engagement.warehouse_path, engagement.serving_path, tag=context.run.run_id[:8]
        )
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(published.path)),
                "parquet": dg.MetadataValue.path(str(published.parquet)),
                "rows": dg.MetadataValue.json(published.rows),
                "fact_days_written": published.fact_days_written,
            }
        )

    @dg.asset(
        key=REPORT,
        deps=[SNAPSHOT],
        group_name=PUBLISH_GROUP,
        owners=OWNERS,
        kinds={"html", "plotly"},
        description="Static HTML report of the last 30 days, from the serving snapshot.",
    )
    def serving_report(engagement: EngagementConfig):
        path = report.render(
            engagement.serving_path / snapshot.SERVING_FILE, engagement.serving_path / "report.html"
        )
        return dg.MaterializeResult(metadata={"path": dg.MetadataValue.path(str(path))})

    return [serving_warehouse, serving_report]
