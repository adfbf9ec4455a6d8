"""A static HTML report of the serving snapshot: opens from disk, no server (Plotly, inlined).

Charts of the last 30 days of results per channel and status, the scorecard rates, and the
quarantine trend; the daily counts behind the charts are printed as a table too.
"""

from __future__ import annotations

import html
import os
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import plotly.graph_objects as go

DAYS = 30
DAY_MS = 86_400_000
RATES = {
    "voice": ["answer_rate", "human_rate"],
    "email": ["delivery_rate", "open_rate", "click_through_rate", "bounce_rate", "complaint_rate"],
    "text": ["delivery_rate"],
}


def render(snapshot: Path, out: Path) -> Path:
    """Write the report of `snapshot` (a serving DuckDB file) to `out`, atomically."""
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        counts = con.sql(
            f"select * from marts.daily_result_counts where event_date > "
            f"(select max(event_date) from marts.daily_result_counts) - {DAYS} "
            f"order by event_date, channel, status"
        ).df()
        rates = {
            channel: con.sql(
                f"select period_start, {', '.join(names)} from marts.scorecard_{channel} "
                f"where period = 'day' order by period_start desc limit {DAYS}"
            ).df()
            for channel, names in RATES.items()
        }
        quarantine = con.sql(
            f"select batch_date, reason_code, sum(rejected) as rejected "
            f"from marts.quarantine_summary group by all "
            f"having batch_date > (select max(batch_date) from marts.quarantine_summary) - {DAYS} "
            f"order by batch_date"
        ).df()
    finally:
        con.close()
    page = _page(counts, rates, quarantine)
    temporary = out.with_name(f".{out.name}.new")
    temporary.write_text(page, encoding="utf-8")
    os.replace(temporary, out)
    return out


def _page(counts: pd.DataFrame, rates: dict[str, pd.DataFrame], quarantine: pd.DataFrame) -> str:
    figures = []
    for channel in ("voice", "email", "text"):
        data = counts[counts["channel"] == channel]
        figure = go.Figure(
            [
                go.Scatter(
                    x=rows["event_date"], y=rows["result_count"], name=status, mode="lines+markers"
                )
                for status, rows in data.groupby("status")
            ]
        )
        figures.append((f"{channel.capitalize()}: results per day and status", figure))
    for channel, frame in rates.items():
        figure = go.Figure(
            [
                go.Scatter(x=frame["period_start"], y=frame[name], name=name, mode="lines+markers")
                for name in RATES[channel]
            ]
        )
        figure.update_yaxes(tickformat=".0%")
        figures.append((f"{channel.capitalize()}: daily rates", figure))
    figure = go.Figure(
        [
            go.Bar(x=rows["batch_date"], y=rows["rejected"], name=reason)
            for reason, rows in quarantine.groupby("reason_code")
        ]
    )
    figure.update_layout(barmode="stack")
    figures.append(("Quarantined records per batch and reason", figure))

    span = counts["event_date"].nunique() if len(counts) else 1
    tick_days = max(1, span // 10)
    charts = []
    for i, (title, figure) in enumerate(figures):
        figure.update_layout(
            title=title, height=380, margin={"t": 50, "b": 40}, template="plotly_white"
        )
        figure.update_xaxes(type="date", tickformat="%b %d", dtick=DAY_MS * tick_days)
        charts.append(figure.to_html(full_html=False, include_plotlyjs=(i == 0)))
    through = counts["event_date"].max().date() if len(counts) else "no data"
    return TEMPLATE.format(
        generated=datetime.now().astimezone().isoformat(timespec="seconds"),
        through=through,
        charts="\n".join(f'<section class="chart">{c}</section>' for c in charts),
        table=_table(counts),
    )


def _table(counts: pd.DataFrame) -> str:
    rows = "\n".join(
        f"<tr><td>{r.event_date}</td><td>{html.escape(r.channel)}</td>"
        f"<td>{html.escape(r.status)}</td><td>{r.result_count}</td><td>{r.unique_count}</td></tr>"
        for r in counts.itertuples(index=False)
    )
    return (
        '<table id="daily-counts"><thead><tr><th>event_date</th><th>channel</th><th>status</th>'
        f"<th>result_count</th><th>unique_count</th></tr></thead><tbody>{rows}</tbody></table>"
    )


TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Engagement results</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; }}
.chart {{ margin-bottom: 1.5rem; }}
table {{ border-collapse: collapse; font-size: 0.85rem; }}
td, th {{ border-bottom: 1px solid #ddd; padding: 0.2rem 0.6rem; text-align: right; }}
td:nth-child(2), td:nth-child(3), th:nth-child(2), th:nth-child(3) {{ text-align: left; }}
</style></head>
<body>
<h1>Engagement results</h1>
<p>Results by channel, status and day, through {through} (last 30 days). Generated {generated}
from the serving snapshot.</p>
{charts}
<details><summary>Daily result counts (the numbers behind the charts)</summary>
{table}
</details>
</body></html>
"""
