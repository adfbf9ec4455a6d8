"""The whole asset graph on generated landing data, against counts computed from the generator.

The generator knows what each record it wrote must count as (from its own simulation, not the
pipeline's seeds) and applies the spec's first-occurrence rule in plain Python; these tests
compare the marts and the quarantine with that, for UTC and for a half-hour-offset time zone.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from orchestration.generate import Truth, generate
from orchestration.ingest.sources import all_parsers
from tests.conftest import Environment, fingerprints

START = date(2026, 11, 1)
DAYS = 4


def expected_daily_counts(truth: Truth, tz: str) -> dict[tuple, tuple[int, int]]:
    results: Counter = Counter()
    messages: dict[tuple, set] = {}
    for r in truth.results:
        day = datetime.fromtimestamp(r.time_us / 1e6, UTC).astimezone(ZoneInfo(tz)).date()
        key = (day, r.channel, r.status)
        results[key] += 1
        messages.setdefault(key, set()).add(r.message_key)
    return {key: (n, len(messages[key])) for key, n in results.items()}


def actual_daily_counts(env: Environment) -> dict[tuple, tuple[int, int]]:
    rows = env.query(
        "select event_date, channel, status, result_count, unique_count "
        "from marts.daily_result_counts"
    )
    return {(d, c, s): (n, u) for d, c, s, n, u in rows}


def expected_engagement_counts(truth: Truth) -> dict[tuple, tuple[int, int]]:
    results: Counter = Counter()
    messages: dict[tuple, set] = {}
    for r in truth.results:
        day = datetime.fromtimestamp(r.time_us / 1e6, UTC).date()
        key = (r.engagement_id, day, r.channel, r.status)
        results[key] += 1
        messages.setdefault(key, set()).add(r.message_key)
    return {key: (n, len(messages[key])) for key, n in results.items()}


def actual_engagement_counts(env: Environment) -> dict[tuple, tuple[int, int]]:
    rows = env.query("select * from marts.engagement_result_counts")
    return {(e, d, c, s): (n, u) for e, d, c, s, n, u in rows}


def expected_engagement_summary(truth: Truth) -> dict[tuple, int]:
    """Per engagement and channel: results, messages, and the messages reaching each status."""
    results: Counter = Counter()
    messages: dict[tuple, set] = {}
    for r in truth.results:
        if r.engagement_id is not None:
            results[(r.engagement_id, r.channel, "results")] += 1
            for measure in ("messages", f"{r.status}_messages"):
                messages.setdefault((r.engagement_id, r.channel, measure), set()).add(r.message_key)
    return dict(results) | {key: len(keys) for key, keys in messages.items()}


def actual_engagement_summary(env: Environment) -> dict[tuple, int]:
    rows = env.query(
        "select * from (unpivot marts.engagement_summary on results, columns('messages$') "
        "into name measure value n) where n > 0"
    )
    return {(e, c, measure): n for e, c, *_, measure, n in rows}


def actual_quarantine(env: Environment) -> Counter:
    rows = env.query(
        "select source, batch_date, reason_code, count(*) "
        "from quarantine.rejected_records group by all"
    )
    return Counter({(s, b, r): n for s, b, r, n in rows})


@pytest.fixture
def generated(env: Environment) -> Truth:
    return generate(env.landing, START, DAYS, events_per_day=1500, seed=11)


def test_marts_match_the_generated_truth_and_reruns_change_nothing(env, generated):
    env.run("2026-11-01", "2026-11-04")

    assert actual_daily_counts(env) == expected_daily_counts(generated, "UTC")
    assert actual_engagement_counts(env) == expected_engagement_counts(generated)
    assert actual_engagement_summary(env) == expected_engagement_summary(generated)
    assert actual_quarantine(env) == generated.quarantined
    assert {r.source for r in generated.results} == set(all_parsers())  # every source counted
    assert {reason for _, _, reason in generated.quarantined} == {  # every reason occurred
        "malformed",
        "missing_field",
        "bad_timestamp",
        "unknown_status",
        "status_not_allowed_for_channel",
        "bad_file",
    }
    unbalanced = env.query(
        "select source, batch_date from marts.ingest_reconciliation where not is_balanced"
    )
    assert unbalanced == []
    read = dict(
        ((s, b), n)
        for s, b, n in env.query(
            "select source, batch_date, records_read from marts.ingest_reconciliation"
        )
    )
    assert read == {k: v for k, v in generated.records_read.items()}

    before = fingerprints(env.warehouse_path)
    env.run("2026-11-02")  # one batch again
    assert fingerprints(env.warehouse_path) == before
    env.run("2026-11-01", "2026-11-04")  # the whole range again
    assert fingerprints(env.warehouse_path) == before


def test_reporting_time_zone_moves_events_across_midnight(env, generated, monkeypatch):
    monkeypatch.setenv("ENGAGEMENT_TIMEZONE", "Asia/Kolkata")
    env.run("2026-11-01", "2026-11-04")

    expected = expected_daily_counts(generated, "Asia/Kolkata")
    assert actual_daily_counts(env) == expected
    assert expected != expected_daily_counts(generated, "UTC")  # the zone did move events
