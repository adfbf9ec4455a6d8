"""No personal data where BI reads, and the retention setting."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import duckdb
import pytest

from orchestration.generate import generate
from orchestration.settings import ConfigError, Settings
from tests.conftest import Environment

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
PHONE = re.compile(r"\+[0-9][0-9 ().-]{7,}[0-9]")  # as Twilio and the activity log write them


def personal_data(text: str) -> list[str]:
    return EMAIL.findall(text) + PHONE.findall(text)


def test_nothing_published_holds_an_email_address_or_a_phone_number(env: Environment):
    generate(env.landing, date(2026, 11, 1), 2, events_per_day=3000)
    landed = "".join(p.read_text(errors="ignore") for p in env.landing.rglob("*.jsonl"))
    assert EMAIL.search(landed) and PHONE.search(landed)  # the raw payloads do have them
    env.run("2026-11-01", "2026-11-02")

    serving = env.root / "serving"
    con = duckdb.connect(str(serving / "warehouse.duckdb"), read_only=True)
    found = []
    try:
        relations = con.sql(
            "select schema_name, table_name from duckdb_tables() union all "
            "select schema_name, view_name from duckdb_views() where not internal"
        ).fetchall()
        assert {schema for schema, _ in relations} == {"marts"}
        for schema, table in relations:
            rows = con.sql(f'select * from {schema}."{table}"').fetchall()
            found += [
                (table, v) for row in rows for v in row if isinstance(v, str) and personal_data(v)
            ]
        for parquet in (serving / "parquet").rglob("*.parquet"):
            rows = con.execute("select * from read_parquet(?)", [str(parquet)]).fetchall()
            found += [
                (parquet.name, v)
                for row in rows
                for v in row
                if isinstance(v, str) and personal_data(v)
            ]
    finally:
        con.close()
    report = (serving / "report.html").read_text()
    report = re.sub(r"<script>/\*\*.*?</script>", "", report, flags=re.S)  # Plotly's own code
    found += [("report.html", v) for v in personal_data(report)]
    assert found == []
    quarantined = env.query("select string_agg(record, ' ') from quarantine.rejected_records")
    assert quarantined[0][0]  # the quarantine keeps raw records, in its own unpublished schema


def test_production_refuses_to_run_without_a_key():
    with pytest.raises(ConfigError, match="ENGAGEMENT_HMAC_KEY is required"):
        Settings.from_env({"ENGAGEMENT_ENV": "production"})
    Settings.from_env({"ENGAGEMENT_ENV": "production", "ENGAGEMENT_HMAC_KEY": "s3cret"})


def test_retention_purges_old_raw_and_quarantined_records_and_keeps_the_counts(
    env: Environment, monkeypatch
):
    today = datetime.now().date()
    old, recent = today - timedelta(days=40), today - timedelta(days=2)
    generate(env.landing, old, 1, events_per_day=1500, seed=5)
    generate(env.landing, recent, 1, events_per_day=1500, seed=6)
    env.run(str(old))
    counts = env.query("select * from marts.daily_result_counts order by all")
    monkeypatch.setenv("ENGAGEMENT_RETENTION_DAYS", "30")
    env.run(str(recent))

    left = env.query("select min(batch_date), count(*) from raw.observations")
    assert left[0][0] == recent
    assert env.query(
        "select count(*) from quarantine.rejected_records where batch_date = ?", [old]
    ) == [(0,)]
    lake_dir = env.root / "lake"  # the lake forgets them too; the audit row says when
    lake_rows = duckdb.sql(
        f"select count(*) from '{lake_dir}/observations/*/batch_date={old}/*.parquet'"
    ).fetchone()
    lake_purged = duckdb.sql(
        f"select bool_and(purged_at is not null) "
        f"from '{lake_dir}/ingested_batches/*/batch_date={old}/*.parquet'"
    ).fetchone()
    assert lake_rows == (0,) and lake_purged == (True,)
    old_counts = env.query(
        "select * from marts.daily_result_counts where event_date <= ? order by all", [old]
    )
    assert old_counts and set(old_counts) <= set(counts)  # the summaries stay
    env.run(str(old + timedelta(days=1)))  # a run next to the frozen batch changes nothing
    assert (
        env.query(
            "select * from marts.daily_result_counts where event_date <= ? order by all", [old]
        )
        == old_counts
    )
    with pytest.raises(ConfigError, match="minimum of 14"):
        Settings.from_env({"ENGAGEMENT_RETENTION_DAYS": "10"})
