"""Batches run one at a time, out of order, and re-run after a re-upload: the nightly reality.

Each assertion states counts worked out by hand from the records written here.
"""

from __future__ import annotations

from datetime import date

from tests.conftest import Environment, fingerprints


def sendgrid(event_id: str, event: str, when: str, message: str = "m1") -> dict:
    seconds = int(__import__("datetime").datetime.fromisoformat(when).timestamp())
    return {
        "sg_event_id": event_id,
        "event": event,
        "timestamp": seconds,
        "sg_message_id": message,
        "email": "a@example.com",
    }


def call(sid: str, status: str, when: str) -> dict:
    from datetime import datetime
    from email.utils import format_datetime

    return {
        "CallSid": sid,
        "CallStatus": status,
        "Timestamp": format_datetime(datetime.fromisoformat(when)),
    }


def counts(env: Environment) -> dict[tuple, tuple[int, int]]:
    rows = env.query(
        "select event_date, channel, status, result_count, unique_count "
        "from marts.daily_result_counts"
    )
    return {(str(d), c, s): (n, u) for d, c, s, n, u in rows}


def test_out_of_order_batches_late_events_and_reuploads(env: Environment):
    env.write(
        "sendgrid",
        "2026-11-01",
        "a.jsonl",
        [
            sendgrid("e1", "open", "2026-11-01T10:00:00+00:00"),
            sendgrid("e2", "delivered", "2026-11-01T23:59:30+00:00"),
        ],
    )
    env.write(
        "twilio_voice",
        "2026-11-01",
        "calls.jsonl",
        [
            call("CA1", "completed", "2026-11-01T12:00:00+00:00"),
        ],
    )
    env.write(
        "sendgrid",
        "2026-11-02",
        "b.jsonl",
        [
            sendgrid("e1", "open", "2026-11-01T10:00:00+00:00"),  # retried delivery
            sendgrid("e3", "open", "2026-10-31T08:00:00+00:00", "m2"),  # late open
        ],
    )
    env.write(
        "twilio_voice",
        "2026-11-02",
        "calls.jsonl",
        [
            call("CA1", "completed", "2026-11-02T00:00:05+00:00"),  # same result, later callback
        ],
    )

    # The later batch first: its copies count, on their own event dates.
    env.run("2026-11-02")
    assert counts(env) == {
        ("2026-11-01", "email", "open"): (1, 1),
        ("2026-10-31", "email", "open"): (1, 1),
        ("2026-11-02", "voice", "completed"): (1, 1),
    }

    # The earlier batch arrives: its occurrences win, the later copies become duplicates.
    env.run("2026-11-01")
    assert counts(env) == {
        ("2026-11-01", "email", "open"): (1, 1),
        ("2026-11-01", "email", "delivered"): (1, 1),
        ("2026-10-31", "email", "open"): (1, 1),
        ("2026-11-01", "voice", "completed"): (1, 1),
    }
    kept = env.query(
        "select dedupe_key, batch_date from marts.fct_engagement_results "
        "where dedupe_key in ('sendgrid||e1', 'twilio_voice|completed|CA1') order by 1"
    )
    assert kept == [
        ("sendgrid||e1", date(2026, 11, 1)),
        ("twilio_voice|completed|CA1", date(2026, 11, 1)),
    ]
    reconciliation = env.query(
        "select source, batch_date, results, loaded, duplicates, counted_nothing, is_balanced "
        "from marts.ingest_reconciliation where records_read > 0 order by 1, 2"
    )
    assert reconciliation == [
        ("sendgrid", date(2026, 11, 1), 2, 2, 0, 0, True),
        ("sendgrid", date(2026, 11, 2), 2, 1, 1, 0, True),
        ("twilio_voice", date(2026, 11, 1), 1, 1, 0, 0, True),
        ("twilio_voice", date(2026, 11, 2), 1, 0, 1, 0, True),
    ]

    # A corrected file replaces batch 2's: the late open was a mistake. Its day empties.
    (env.landing / "sendgrid" / "2026-11-02" / "b.jsonl").unlink()
    env.write(
        "sendgrid",
        "2026-11-02",
        "b-fixed.jsonl",
        [
            sendgrid("e1", "open", "2026-11-01T10:00:00+00:00"),
        ],
    )
    env.run("2026-11-02")
    assert counts(env) == {
        ("2026-11-01", "email", "open"): (1, 1),
        ("2026-11-01", "email", "delivered"): (1, 1),
        ("2026-11-01", "voice", "completed"): (1, 1),
    }

    # Whatever the order of the runs, the tables are those of one full rebuild.
    incremental = fingerprints(env.warehouse_path)
    env.run("2026-11-01", "2026-11-02", full_refresh=True)
    assert fingerprints(env.warehouse_path) == incremental


def test_a_key_repeated_within_the_window_of_its_last_copy_stays_a_duplicate(
    env: Environment, monkeypatch
):
    """Night by night: 11-08 is 7 batches after 11-01, a duplicate; 11-09 is 8 after, beyond the
    window, but 11-08's copy is within it, so it is a duplicate too, and its run balances
    although the row kept (11-01) is older than the window that run reads."""
    monkeypatch.setenv("ENGAGEMENT_DEDUPE_WINDOW_DAYS", "7")
    for batch in ("2026-11-01", "2026-11-08", "2026-11-09"):
        env.write(
            "sendgrid", batch, "a.jsonl", [sendgrid("e1", "open", "2026-11-01T10:00:00+00:00")]
        )
        env.run(batch)  # fails if a blocking check (the reconciliation) fails
    assert counts(env) == {("2026-11-01", "email", "open"): (1, 1)}
    reconciliation = env.query(
        "select batch_date, results, loaded, duplicates, lost, is_balanced "
        "from marts.ingest_reconciliation where records_read > 0 order by 1"
    )
    assert reconciliation == [
        (date(2026, 11, 1), 1, 1, 0, 0, True),
        (date(2026, 11, 8), 1, 0, 1, 0, True),
        (date(2026, 11, 9), 1, 0, 1, 0, True),
    ]
    nightly = fingerprints(env.warehouse_path)
    env.run("2026-11-01", "2026-11-09", full_refresh=True)
    assert fingerprints(env.warehouse_path) == nightly


def test_a_file_that_disappears_is_reported_and_its_records_leave_the_batch(env: Environment):
    from orchestration import warehouse
    from orchestration.ingest import batch, sources

    env.write("sendgrid", "2026-11-01", "a.jsonl", [sendgrid("e1", "open", "2026-11-01T10:00:00")])
    gone = env.write(
        "sendgrid", "2026-11-01", "b.jsonl", [sendgrid("e2", "click", "2026-11-01T11:00:00")]
    )

    def ingest() -> tuple[list[str], list[tuple]]:
        with warehouse.writer(env.warehouse_path) as con:
            report = batch.ingest_batch(
                con, sources.get("sendgrid"), env.landing, date(2026, 11, 1)
            )
            rows = con.execute(
                "select source_file, raw_status from raw.observations order by source_file"
            ).fetchall()
        return report.files_gone, rows

    assert ingest() == ([], [("a.jsonl", "open"), ("b.jsonl", "click")])
    gone.unlink()
    assert ingest() == (["b.jsonl"], [("a.jsonl", "open")])
    assert ingest() == ([], [("a.jsonl", "open")])
