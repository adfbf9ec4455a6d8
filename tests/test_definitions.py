"""The Dagster definitions load, and the asset graph has the shape the UI shows."""

from __future__ import annotations

import dagster as dg

from orchestration.definitions import JOB_NAME, build_definitions
from orchestration.ingest.sources import all_parsers
from orchestration.settings import Settings


def test_definitions_load_with_one_ingest_asset_per_source_feeding_dbt():
    defs = build_definitions(Settings.from_env({}))
    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    ingest = {f"ingest/{source}" for source in all_parsers()}
    assert ingest <= keys
    assert {
        "marts/fct_engagement_results",
        "marts/daily_result_counts",
        "marts/dim_channel_status",
        "marts/ingest_reconciliation",
    } <= keys
    staging = graph.get(dg.AssetKey(["staging", "stg_ingest__observations"]))
    assert {key.to_user_string() for key in staging.parent_keys} == ingest
    assert defs.resolve_job_def(JOB_NAME) is not None
    checks = {key.to_user_string() for key in graph.asset_check_keys}
    assert {f"{key}:records_reconcile" for key in ingest} <= checks
    assert "marts/daily_result_counts:daily_counts_match_taxonomy" in checks
    assert "marts/ingest_reconciliation:ingest_reconciliation_is_balanced" in checks
