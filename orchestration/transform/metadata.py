"""Metadata an engineer looks at on the summary assets: counts per channel, reconciliation."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from orchestration import warehouse

DAILY_COUNTS = dg.AssetKey(["marts", "daily_result_counts"])
RECONCILIATION = dg.AssetKey(["marts", "ingest_reconciliation"])
SUMMARIZED = (DAILY_COUNTS, RECONCILIATION)
SPARK = "▁▂▃▄▅▆▇█"
DAYS = 14


def sparkline(values: list[int]) -> str:
    top = max(values, default=0)
    return "".join(SPARK[round(v / top * (len(SPARK) - 1))] if top else SPARK[0] for v in values)


def summaries(path: Path, batches: tuple[str, str]) -> dict[dg.AssetKey, dict]:
    """Metadata for the summarized assets, read after dbt released the warehouse."""
    con = warehouse.connect(path, read_only=True)
    try:
        days = con.execute(
            "select channel, event_date, sum(result_count) from marts.daily_result_counts "
            "where event_date > (select max(event_date) from marts.daily_result_counts) - ? "
            "group by all order by channel, event_date",
            [DAYS],
        ).fetchall()
        reconciliation = con.execute(
            "select source, sum(records_read), sum(records_rejected), sum(loaded), "
            "sum(duplicates), sum(counted_nothing), bool_and(is_balanced) "
            "from marts.ingest_reconciliation where batch_date between ? and ? "
            "group by source order by source",
            list(batches),
        ).fetchall()
    finally:
        con.close()
    chart = ["| channel | last days | latest |", "|---|---|---|"]
    for channel in sorted({row[0] for row in days}):
        counts = [int(n) for c, _, n in days if c == channel]
        chart.append(f"| {channel} | `{sparkline(counts)}` | {counts[-1]:,} |")
    table = [
        "| source | read | quarantined | loaded | duplicates | counted nothing | balanced |",
        "|---|---|---|---|---|---|---|",
    ]
    table += [
        f"| {s} | {r:,} | {q:,} | {lo:,} | {d:,} | {n:,} | {'yes' if b else '**NO**'} |"
        for s, r, q, lo, d, n, b in reconciliation
    ]
    return {
        DAILY_COUNTS: {
            f"results per channel, last {DAYS} days": dg.MetadataValue.md("\n".join(chart))
        },
        RECONCILIATION: {"this run's batches": dg.MetadataValue.md("\n".join(table))},
    }
