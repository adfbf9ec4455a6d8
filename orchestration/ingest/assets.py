"""One partitioned ingest asset per provider parser (a factory, not one copy per source)."""

from collections import Counter

import dagster as dg
import duckdb

from orchestration import warehouse
from orchestration.ingest import batch, lake, sources
from orchestration.ingest.parser import SourceParser
from orchestration.ingest.reports import STAGES, BatchReport
from orchestration.partitions import WAREHOUSE_POOL
from orchestration.resources import EngagementConfig, batch_dates

INGEST_GROUP = "ingest"
FINGERPRINTS = "landing_fingerprints"  # what each batch folder held when read (the sensor's)
OWNERS = ["team:data-platform"]


def ingest_key(source: str) -> dg.AssetKey:
    return dg.AssetKey(["ingest", source])


def ingest_asset(parser: SourceParser, partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    key = ingest_key(parser.name)

    @dg.asset(
        key=key,
        group_name=INGEST_GROUP,
        owners=OWNERS,
        kinds={"python", "duckdb", "pandera"},
        description=(
            f"`{parser.name}` landing files of the batch → raw.observations (accepted records) "
            "and quarantine.rejected_records (the rest, with a reason), in the warehouse and "
            "as Parquet in the lake. Replaces the batch."
        ),
        partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=WAREHOUSE_POOL,
        retry_policy=dg.RetryPolicy(max_retries=2, delay=30, backoff=dg.Backoff.EXPONENTIAL),
        check_specs=[
            dg.AssetCheckSpec(
                "records_reconcile",
                asset=key,
                blocking=True,
                description="Every record read is in raw.observations or the quarantine.",
            ),
            dg.AssetCheckSpec(
                "quarantine_rate",
                asset=key,
                description=(
                    "Share of records quarantined, against ENGAGEMENT_QUARANTINE_ALERT_RATE "
                    "(a warning: quarantined records never reach the marts)."
                ),
            ),
        ],
    )
    def _ingest(context: dg.AssetExecutionContext, engagement: EngagementConfig):
        try:
            yield from _run(context, engagement)
        except (OSError, duckdb.Error) as error:
            if warehouse.storage_refused(error):  # a full disk is not cured by waiting
                raise dg.Failure(
                    f"The disk refused a write; the batch in progress rolled back: {error}",
                    allow_retries=False,
                ) from error
            raise

    def _run(context: dg.AssetExecutionContext, engagement: EngagementConfig):
        reports = []
        with warehouse.writer(engagement.warehouse_path) as con:
            for batch_date in batch_dates(context):
                report = batch.ingest_batch(
                    con,
                    parser,
                    engagement.landing_path,
                    batch_date,
                    max_record_bytes=engagement.max_record_bytes,
                )
                lake.export_batch(con, engagement.lake_path, parser.name, batch_date)
                context.log.info(_summary(report))
                if report.files_gone:
                    context.log.warning(
                        f"{parser.name} {batch_date}: files read by the previous run are gone "
                        f"from the landing folder, their records are removed: {report.files_gone}"
                    )
                reports.append(report)
            stored = _stored_counts(con, parser.name, [r.batch_date for r in reports])
            preview = _quarantine_preview(con, parser.name, [r.batch_date for r in reports])
        yield dg.MaterializeResult(metadata=_metadata(reports, preview))
        yield _reconciliation_check(key, reports, stored)
        yield _quarantine_rate_check(key, reports, engagement.quarantine_alert_rate)

    return _ingest


def ingest_assets(partitions: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    return [ingest_asset(parser, partitions) for parser in sources.all_parsers().values()]


def _summary(report: BatchReport) -> str:
    bad = sum(f.status == "bad_file" for f in report.files)
    return (
        f"{report.source} {report.batch_date}: {len(report.files)} files ({bad} bad), "
        f"{report.records_read} records, {report.records_rejected} rejected, "
        f"{report.observations} results loaded to raw"
    )


def _stored_counts(con, source: str, dates: list) -> dict:  # type: ignore[no-untyped-def]
    row = con.execute(
        """
        select
            (select count(*) from raw.observations where source = $1 and batch_date in $2),
            (select count(distinct (batch_date, source_file, position, seq)) from raw.observations
             where source = $1 and batch_date in $2),
            (select count(*) from quarantine.rejected_records
             where source = $1 and batch_date in $2)
        """,
        [source, dates],
    ).fetchone()
    return {"observations": row[0], "accepted": row[1], "quarantined": row[2]}


def _quarantine_preview(con, source: str, dates: list) -> str:  # type: ignore[no-untyped-def]
    rows = con.execute(
        """
        select batch_date, source_file, position, reason_code, reason
        from quarantine.rejected_records
        where source = $1 and batch_date in $2
        order by batch_date, source_file, position
        limit 10
        """,
        [source, dates],
    ).fetchall()
    if not rows:
        return "Nothing quarantined."
    lines = ["| batch | file | line | reason |", "|---|---|---|---|"]
    lines += [f"| {d} | {f} | {p or ''} | `{c}`: {r[:120]} |" for d, f, p, c, r in rows]
    return "\n".join(lines)


def _metadata(reports: list[BatchReport], preview: str) -> dict:
    reasons: Counter[str] = Counter()
    for report in reports:
        reasons.update(report.reasons)
    read = sum(r.records_read for r in reports)
    rejected = sum(r.records_rejected for r in reports)
    return {
        "batches": len(reports),
        "files": sum(len(r.files) for r in reports),
        "bad_files": sum(f.status == "bad_file" for r in reports for f in r.files),
        "records_read": read,
        "records_accepted": read - rejected,
        "records_quarantined": rejected,
        "quarantine_rate": dg.MetadataValue.float(rejected / read if read else 0.0),
        "results_loaded_to_raw": sum(r.observations for r in reports),
        "files_gone": dg.MetadataValue.json(
            {str(r.batch_date): r.files_gone for r in reports if r.files_gone}
        ),
        "top_quarantine_reasons": dg.MetadataValue.md(
            "\n".join(f"- `{code}`: {n}" for code, n in reasons.most_common() if n) or "None."
        ),
        "quarantine_preview": dg.MetadataValue.md(preview),
        **{
            f"{stage}_s": dg.MetadataValue.float(
                round(sum((r.seconds[stage] for r in reports), 0.0), 3)
            )
            for stage in STAGES
        },
        FINGERPRINTS: dg.MetadataValue.json({str(r.batch_date): r.fingerprint for r in reports}),
    }


def _reconciliation_check(
    key: dg.AssetKey, reports: list[BatchReport], stored: dict
) -> dg.AssetCheckResult:
    read = sum(r.records_read for r in reports)
    rejected = sum(r.records_rejected for r in reports)
    observations = sum(r.observations for r in reports)
    passed = (
        read == stored["accepted"] + stored["quarantined"]
        and stored["quarantined"] == rejected
        and stored["observations"] == observations
    )
    return dg.AssetCheckResult(
        asset_key=key,
        check_name="records_reconcile",
        passed=passed,
        metadata={
            "records_read": read,
            "records_in_raw": stored["accepted"],
            "records_in_quarantine": stored["quarantined"],
            "records_rejected": rejected,
            "results_counted": observations,
            "rows_in_raw": stored["observations"],
        },
    )


def _quarantine_rate_check(
    key: dg.AssetKey, reports: list[BatchReport], alert_rate: float
) -> dg.AssetCheckResult:
    read = sum(r.records_read for r in reports)
    rate = sum(r.records_rejected for r in reports) / read if read else 0.0
    return dg.AssetCheckResult(
        asset_key=key,
        check_name="quarantine_rate",
        passed=rate <= alert_rate,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"quarantine_rate": dg.MetadataValue.float(rate), "alert_rate": alert_rate},
    )
