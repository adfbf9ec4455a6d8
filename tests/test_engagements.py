"""Results per engagement: attribution from the record or from the activity log, first id wins,
late activity lines attribute results already loaded, and unattributed results stay counted."""

from __future__ import annotations

from datetime import date

from tests.conftest import Environment


def callback(sid: str, status: str, timestamp: str, **extra: str) -> dict:
    return {"CallSid": sid, "CallStatus": status, "Timestamp": timestamp, **extra}


def activity(event_id: str, sid: str, event_type: str, when: str, engagement: str | None) -> dict:
    return {
        "event_id": event_id,
        "occurred_at": when,
        "channel": "voice",
        "event_type": event_type,
        "message_id": sid,
        "engagement_id": engagement,
    }


def engagement_counts(env: Environment) -> dict[tuple, tuple[int, int]]:
    rows = env.query(
        "select engagement_id, event_date, status, result_count, unique_count "
        "from marts.engagement_result_counts where channel = 'voice'"
    )
    return {(e, str(d), s): (n, u) for e, d, s, n, u in rows}


def test_attribution_follows_the_first_named_engagement_across_batches(env: Environment):
    day1 = "Sun, 01 Nov 2026 10:00:00 +0000"
    env.write(
        "twilio_voice",
        "2026-11-01",
        "calls.jsonl",
        [
            callback("CA1", "completed", day1),
            callback("CA2", "completed", day1),
            callback(
                "CA3", "busy", day1, engagement_id="tuesday-reminder"
            ),  # named by the receiver
        ],
    )
    env.run("2026-11-01")
    assert engagement_counts(env) == {
        (None, "2026-11-01", "completed"): (2, 2),
        ("tuesday-reminder", "2026-11-01", "busy"): (1, 1),
    }

    # The activity log of the next batch names CA1's engagement: the result of 11-01 follows.
    # CA2 is named twice in that batch: the earlier event wins, though later in the file.
    # CA3 was named in batch 11-01 already: an earlier batch wins over an earlier time.
    env.write(
        "activity",
        "2026-11-02",
        "activity.jsonl",
        [
            activity("a1", "CA1", "dial", "2026-11-01T09:59:00Z", "tuesday-reminder"),
            activity("a2", "CA2", "hangup", "2026-11-01T10:05:00Z", "other-campaign"),
            activity("a3", "CA2", "dial", "2026-11-01T09:58:00Z", "wednesday-survey"),
            activity("a4", "CA3", "dial", "2026-11-01T09:00:00Z", "late-claim"),
        ],
    )
    env.run("2026-11-02")
    assert engagement_counts(env) == {
        ("tuesday-reminder", "2026-11-01", "completed"): (1, 1),
        ("tuesday-reminder", "2026-11-01", "busy"): (1, 1),
        ("tuesday-reminder", "2026-11-01", "dial"): (2, 2),
        ("wednesday-survey", "2026-11-01", "completed"): (1, 1),
        ("wednesday-survey", "2026-11-01", "hangup"): (1, 1),
        ("wednesday-survey", "2026-11-01", "dial"): (1, 1),
    }
    summary = env.query(
        "select engagement_id, messages, completed_messages, busy_messages, "
        "answer_rate from marts.engagement_summary order by 1"
    )
    assert summary == [("tuesday-reminder", 2, 1, 1, 0.0), ("wednesday-survey", 1, 1, 0, 0.0)]

    # Batch 11-02 re-uploaded without CA1's line: CA1's result is unattributed again.
    env.write(
        "activity",
        "2026-11-02",
        "activity.jsonl",
        [
            activity("a3", "CA2", "dial", "2026-11-01T09:58:00Z", "wednesday-survey"),
        ],
    )
    env.run("2026-11-02")
    assert engagement_counts(env) == {
        (None, "2026-11-01", "completed"): (1, 1),
        ("tuesday-reminder", "2026-11-01", "busy"): (1, 1),
        ("wednesday-survey", "2026-11-01", "completed"): (1, 1),
        ("wednesday-survey", "2026-11-01", "dial"): (1, 1),
    }
    summary = env.query("select engagement_id, messages from marts.engagement_summary order by 1")
    assert summary == [("tuesday-reminder", 1), ("wednesday-survey", 1)]
    assert env.query(
        "select count(*) from marts.daily_result_counts where event_date = ?", [date(2026, 11, 1)]
    ) == [(3,)]

    # Batch 11-04's activity log names CA1 on a day of its own: CA1's result of 11-01 follows,
    # though no result of this run is on 11-01.
    env.write(
        "activity",
        "2026-11-04",
        "activity.jsonl",
        [activity("a5", "CA1", "dial", "2026-11-04T09:00:00Z", "thursday-recall")],
    )
    env.run("2026-11-04")
    assert engagement_counts(env) == {
        ("thursday-recall", "2026-11-01", "completed"): (1, 1),
        ("thursday-recall", "2026-11-04", "dial"): (1, 1),
        ("tuesday-reminder", "2026-11-01", "busy"): (1, 1),
        ("wednesday-survey", "2026-11-01", "completed"): (1, 1),
        ("wednesday-survey", "2026-11-01", "dial"): (1, 1),
    }
