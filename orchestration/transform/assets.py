"""The dbt models as Dagster assets: one `dbt build` per run, for the run's batch window."""

import importlib.metadata
import os
import shutil
from collections.abc import Mapping, Sequence
from datetime import timedelta
from functools import cached_property
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliInvocation, DbtCliResource, dbt_assets
from packaging.version import Version

from orchestration.partitions import WAREHOUSE_POOL
from orchestration.resources import EngagementConfig
from orchestration.transform.args import dbt_build_args, dbt_build_env
from orchestration.transform.metadata import SUMMARIZED, summaries
from orchestration.transform.project import (
    DBT_EXECUTABLE,
    dbt_project,
    deployment,
    ensure_manifest,
    keep_parse_state,
    run_target,
    start_from_parse_state,
)
from orchestration.transform.translator import EngagementTranslator


class DbtRunConfig(dg.Config):
    full_refresh: bool = False  # rebuild every table from raw, ignoring the batch window


def dbt_models(
    partitions: dg.PartitionsDefinition, ingest_keys: Sequence[dg.AssetKey]
) -> dg.AssetsDefinition:
    @dbt_assets(
        manifest=ensure_manifest(),
        project=dbt_project,
        dagster_dbt_translator=EngagementTranslator(ingest_keys),
        partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=WAREHOUSE_POOL,
    )
    def engagement_dbt(
        context: dg.AssetExecutionContext,
        dbt: "DbtCli",
        config: DbtRunConfig,
        engagement: EngagementConfig,
    ):
        window = context.partition_time_window
        batches = (window.start.date(), window.end.date())
        on_spark = engagement.engine == "spark"
        args = dbt_build_args(
            full_refresh=config.full_refresh, lake_dir=engagement.lake_path if on_spark else None
        )
        parse_state_key = deployment(engagement.engine, engagement.warehouse_path)
        target = run_target(context.run_id)
        start_from_parse_state(target, parse_state_key)
        invocation = dbt.cli(
            args,
            env=dbt_build_env(batches, engagement.warehouse_path),
            context=context,
            target_path=target,
        )
        # From the first summary on, events wait (in order: outputs must stay topological) for
        # dbt to release the warehouse, so the summaries' metadata can be read.
        # (The summaries are read from the DuckDB warehouse: not on Spark.)
        held: list = []
        for event in invocation.stream():
            if held or (not on_spark and _asset_key(context, event) in SUMMARIZED):
                held.append(event)
            else:
                yield event
        keep_parse_state(target, parse_state_key)
        shutil.rmtree(target, ignore_errors=True)  # one folder per run otherwise
        if held:
            last = (window.end - timedelta(days=1)).date()
            extra = summaries(engagement.warehouse_path, (str(batches[0]), str(last)))
            for event in held:
                key = _asset_key(context, event)
                if isinstance(event, dg.Output) and key in extra:
                    event = event.with_metadata({**event.metadata, **extra[key]})
                yield event

    return engagement_dbt


class DbtCli(DbtCliResource):
    """DbtCliResource without the two dbt start-ups it does in the Dagster process before each
    command (`dbt --version` and a dbt adapter, about 9 s here). The adapter only serves column
    metadata, which this project does not fetch; the version is the installed dbt-core's."""

    @cached_property
    def _cli_version(self) -> Version:
        return Version(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:  # type: ignore[override]
        return None

    def cli(  # type: ignore[override]
        self, args: Sequence[str], *, env: Mapping[str, str] | None = None, **kwargs: Any
    ) -> DbtCliInvocation:
        """`DbtCliResource.cli`, with `env` added to the environment of this dbt process only.

        (The parent builds the process's environment from os.environ as it starts dbt.)"""
        saved = {name: os.environ.get(name) for name in env or {}}
        os.environ.update(env or {})
        try:
            return super().cli(args, **kwargs)
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def dbt_resource(engine: str) -> DbtCliResource:
    """dbt on the engine's target (profiles.yml: duckdb or spark)."""
    # The resource takes a DbtProject (its profiles_dir too); mypy sees the str field only.
    return DbtCli(
        project_dir=dbt_project,  # type: ignore[arg-type]
        dbt_executable=DBT_EXECUTABLE,
        target=engine,
    )


def _asset_key(context: dg.AssetExecutionContext, event: object) -> dg.AssetKey | None:
    if isinstance(event, dg.Output):
        return context.asset_key_for_output(event.output_name)
    return getattr(event, "asset_key", None)
