"""How dbt resources look in Dagster: keys by schema, groups by layer, ingest as upstream."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

INGEST_DBT_SOURCES = ("ingest", "ingest_audit", "quarantine")
OWNERS = ["team:data-platform"]


class EngagementTranslator(DagsterDbtTranslator):
    """dbt sources that ingest writes become dependencies on every ingest asset (for staging
    models; marts that read an audit source in a macro depend on ingest through staging)."""

    def __init__(self, ingest_keys: Sequence[dg.AssetKey]):
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_code_references=False))
        self.ingest_keys = list(ingest_keys)

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project) -> dg.AssetSpec:  # type: ignore[no-untyped-def]
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props["resource_type"] == "source":
            return spec
        ingest_sources = [
            upstream
            for upstream in props.get("depends_on", {}).get("nodes", [])
            if upstream.startswith("source.")
            and manifest["sources"][upstream]["source_name"] in INGEST_DBT_SOURCES
        ]
        if not ingest_sources:
            return spec.replace_attributes(owners=OWNERS)
        source_keys = {
            self.get_asset_key(self.get_resource_props(manifest, u)) for u in ingest_sources
        }
        deps = [dep for dep in spec.deps if dep.asset_key not in source_keys]
        if _layer(props) == "staging":  # later layers reach ingest through staging already
            deps += [dg.AssetDep(key) for key in self.ingest_keys]
        return spec.replace_attributes(deps=deps, owners=OWNERS)

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_asset_key(dbt_resource_props)
        return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return "marts" if _layer(dbt_resource_props) == "marts" else "staging"


def _layer(dbt_resource_props: Mapping[str, Any]) -> str:
    """staging, intermediate or marts: the model's folder."""
    fqn = dbt_resource_props["fqn"]
    return fqn[1] if len(fqn) > 2 else "staging"
