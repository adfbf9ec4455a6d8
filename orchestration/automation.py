"""When runs happen: the nightly schedule, the landing sensor, and freshness checks.

- The schedule runs the whole graph every night for the batch that just closed (yesterday, in
  ENGAGEMENT_TIMEZONE).
- The sensor watches the batch folders of the last weeks: when a folder's files differ from what
  the ingest asset of that source read (a late upload, a re-upload, a file removed), it requests
  that batch again. What ingest read is recorded as a fingerprint in its materialization
  metadata, so the sensor keeps no state of its own.
"""

import hashlib
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import dagster as dg

from orchestration.ingest import landing
from orchestration.ingest.assets import FINGERPRINTS, ingest_key
from orchestration.ingest.sources import all_parsers
from orchestration.settings import Settings

if TYPE_CHECKING:  # what define_asset_job returns; dagster exports the class under no public name
    from dagster._core.definitions.unresolved_asset_job_definition import (
        UnresolvedAssetJobDefinition,
    )

NIGHTLY_CRON = "0 2 * * *"  # batches close at midnight; providers' stragglers land by 2 a.m.
FRESHNESS_DEADLINE_CRON = "0 6 * * *"  # yesterday's summary must be there by 6 a.m.
SENSOR_LOOKBACK_DAYS = 35


def folder_fingerprint(landing_dir: Path, source: str, batch_date: date) -> str:
    parser = all_parsers()[source]
    return landing.fingerprint(
        landing.batch_files(landing_dir, source, batch_date, csv=parser.reads_csv)
    )


def nightly_schedule(
    job: "UnresolvedAssetJobDefinition", settings: Settings
) -> dg.ScheduleDefinition:
    @dg.schedule(
        job=job,
        cron_schedule=NIGHTLY_CRON,
        execution_timezone=settings.timezone,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Every night, ingest and build the batch that closed at midnight.",
    )
    def nightly(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        batch = (context.scheduled_execution_time.date() - timedelta(days=1)).isoformat()
        return dg.RunRequest(run_key=f"nightly-{batch}", partition_key=batch)

    return nightly


def landing_sensor(job: "UnresolvedAssetJobDefinition", settings: Settings) -> dg.SensorDefinition:
    @dg.sensor(
        job=job,
        minimum_interval_seconds=300,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=(
            "Requests a batch again when its landing files changed since ingest read them "
            f"(late or re-uploaded files), over the last {SENSOR_LOOKBACK_DAYS} closed batches."
        ),
    )
    def landing_changes(context: dg.SensorEvaluationContext) -> Iterator[dg.RunRequest]:
        today = datetime.now(ZoneInfo(settings.timezone)).date()
        first = max(settings.partitions_start, today - timedelta(days=SENSOR_LOOKBACK_DAYS))
        for day in (first + timedelta(days=n) for n in range((today - first).days)):
            now = {s: folder_fingerprint(settings.landing_dir, s, day) for s in all_parsers()}
            read = {s: _fingerprint_read(context.instance, s, day) for s in all_parsers()}
            changed = sorted(s for s in now if now[s] != read[s] and (now[s] or read[s]))
            if changed:
                yield dg.RunRequest(
                    run_key=f"landing-{day}-{hashlib.sha256(str(now).encode()).hexdigest()[:12]}",
                    partition_key=day.isoformat(),
                    tags={"engagement/changed_sources": ",".join(changed)},
                )

    return landing_changes


def _fingerprint_read(instance: dg.DagsterInstance, source: str, day: date) -> str | None:
    """The fingerprint of the folder as the last materialization of its ingest asset read it."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=ingest_key(source), asset_partitions=[day.isoformat()]),
        limit=1,
    ).records
    if not records:
        return None
    materialization = records[0].asset_materialization
    fingerprints = materialization.metadata.get(FINGERPRINTS) if materialization else None
    read = fingerprints.data if isinstance(fingerprints, dg.JsonMetadataValue) else None
    return read.get(day.isoformat()) if isinstance(read, dict) else None


def freshness_check(asset: dg.AssetKey, settings: Settings) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=asset,
        name="fresh_by_morning",
        description=(
            "The batch that closed at midnight has been built into this table by "
            f"{FRESHNESS_DEADLINE_CRON} (cron, {settings.timezone})."
        ),
    )
    def fresh_by_morning(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        now = datetime.now(ZoneInfo(settings.timezone))
        expected = (now.date() - timedelta(days=1)).isoformat()
        records = context.instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=asset, asset_partitions=[expected]), limit=1
        ).records
        built_at = records[0].timestamp if records else None
        return dg.AssetCheckResult(
            passed=built_at is not None,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "expected_batch": expected,
                "built_at": dg.MetadataValue.timestamp(built_at) if built_at else "never",
            },
        )

    return fresh_by_morning


def freshness_schedule(
    check: dg.AssetChecksDefinition, settings: Settings
) -> dg.ScheduleDefinition:
    job = dg.define_asset_job(
        "freshness", selection=dg.AssetSelection.checks(check), description="Freshness checks."
    )
    return dg.ScheduleDefinition(
        job=job,
        cron_schedule=FRESHNESS_DEADLINE_CRON,
        execution_timezone=settings.timezone,
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )
