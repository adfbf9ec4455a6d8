"""The dbt models as Dagster assets: one `dbt build` per run, for the run's batch window."""

import importlib.metadata
import shutil
from collections.abc import Sequence
from datetime import date
from functools import cached_property

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets
from packaging.version import Version

from orchestration.partitions import WAREHOUSE_POOL
from orchestration.transform.args import dbt_build_args
from orchestration.transform.project import DBT_EXECUTABLE, dbt_project, ensure_manifest
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
        context: dg.AssetExecutionContext, dbt: DbtCliResource, config: DbtRunConfig
    ):
        window = context.partition_time_window
        batches = (date.fromisoformat(window.start.date().isoformat()), window.end.date())
        args = dbt_build_args(batches, full_refresh=config.full_refresh)
        invocation = dbt.cli(args, context=context)
        yield from invocation.stream()
        shutil.rmtree(invocation.target_path, ignore_errors=True)  # one folder per run otherwise

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


def dbt_resource() -> DbtCliResource:
    return DbtCli(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE)
