"""Every quarantine reason, for every source that can produce it, with its position kept.

These run the ingest step alone (DuckDB + pandera, no dbt) on files written by the test.
"""

from __future__ import annotations

import gzip
from datetime import date

import pytest

from orchestration import warehouse
from orchestration.ingest import batch, sources
from tests.conftest import Environment

BATCH = "2026-11-01"

GOOD = {
    "twilio_voice": {
        "CallSid": "CA1",
        "CallStatus": "completed",
        "Timestamp": "Sun, 01 Nov 2026 10:00:00 +0000",
    },
    "twilio_messaging": {
        "MessageSid": "SM1",
        "MessageStatus": "delivered",
        "received_at": "2026-11-01T10:00:00Z",
    },
    "sendgrid": {
        "sg_event_id": "ev1",
        "event": "open",
        "timestamp": 1793527200,
        "sg_message_id": "m1",
    },
    "activity": {
        "event_id": "a1",
        "occurred_at": "2026-11-01T10:00:00Z",
        "channel": "voice",
        "event_type": "dial",
        "message_id": "CA1",
    },
}
KEY = {
    "twilio_voice": "CallSid",
    "twilio_messaging": "MessageSid",
    "sendgrid": "sg_event_id",
    "activity": "event_id",
}
STATUS = {
    "twilio_voice": "CallStatus",
    "twilio_messaging": "MessageStatus",
    "sendgrid": "event",
    "activity": "event_type",
}
TIME = {
    "twilio_voice": "Timestamp",
    "twilio_messaging": "received_at",
    "sendgrid": "timestamp",
    "activity": "occurred_at",
}
BAD_TIME = {
    "twilio_voice": "Mon, 30 Feb 2026 10:00:00 +0000",
    "twilio_messaging": "2026-11-31T10:00:00Z",
    "sendgrid": "soon",
    "activity": "2026-02-30T08:00:00+01:00",
}


def ingest(env: Environment, source: str) -> tuple[list[tuple], list[tuple]]:
    """Ingest one batch; return (raw rows, quarantine rows) as (position, reason_code, reason)."""
    with warehouse.writer(env.warehouse_path) as con:
        batch.ingest_batch(con, sources.get(source), env.landing, date.fromisoformat(BATCH))
        raw = con.execute(
            "select position, raw_status from raw.observations order by position, observation"
        ).fetchall()
        rejected = con.execute(
            "select source_file, position, reason_code, reason "
            "from quarantine.rejected_records order by source_file, position"
        ).fetchall()
    return raw, rejected


def with_(source: str, **changes) -> dict:
    record = dict(GOOD[source])
    for field, value in changes.items():
        if value is ...:
            record.pop(field)
        else:
            record[field] = value
    return record


@pytest.mark.parametrize("source", sorted(GOOD))
def test_each_bad_record_is_quarantined_with_its_reason_and_the_rest_loads(env, source):
    key, status, time = KEY[source], STATUS[source], TIME[source]
    env.write(
        source,
        BATCH,
        "batch.jsonl",
        [
            GOOD[source],  # 1 loads
            '{"' + key + '": "x", ',  # 2 malformed JSON
            "[1, 2]",  # 3 two elements, not objects
            with_(source, **{key: ...}),  # 4 key absent
            with_(source, **{key: None}),  # 5 key null
            with_(source, **{key: ""}),  # 6 key empty
            with_(source, **{status: ...}),  # 7 no status at all
            with_(source, **{time: BAD_TIME[source]}),  # 8 impossible time
            with_(source, **{status: "no_such_value"}),  # 9 unknown status
            "",  # 10 blank: not a record
            with_(source, **{status: "  " + str(GOOD[source][status]).upper() + " "}),  # 11 loads
        ],
    )
    raw, rejected = ingest(env, source)

    assert [position for position, _ in raw] == [1, 11]
    assert [(p, code) for _, p, code, _ in rejected] == [
        (2, "malformed"),
        (3, "malformed"),
        (3, "malformed"),
        (4, "missing_field"),
        (5, "missing_field"),
        (6, "missing_field"),
        (7, "missing_field"),
        (8, "bad_timestamp"),
        (9, "unknown_status"),
    ]
    reasons = {p: reason for _, p, _, reason in rejected}
    assert key in reasons[4]
    assert BAD_TIME[source] in reasons[8]
    assert "no_such_value" in reasons[9]


def test_activity_status_of_another_channel_or_no_channel_is_not_allowed(env):
    env.write(
        "activity",
        BATCH,
        "a.jsonl",
        [
            with_("activity", channel="text", event_type="open"),
            with_("activity", channel="fax", event_type="sent"),
            with_("activity", channel="email", event_type="teleported"),
            with_("activity", channel=...),
        ],
    )
    _, rejected = ingest(env, "activity")
    assert [code for _, _, code, _ in rejected] == [
        "status_not_allowed_for_channel",
        "status_not_allowed_for_channel",
        "unknown_status",
        "missing_field",
    ]


def test_a_record_with_any_unknown_value_is_rejected_whole(env):
    env.write(
        "twilio_voice",
        BATCH,
        "a.jsonl",
        [
            {
                "CallSid": "CA1",
                "CallStatus": "in-progress",
                "AnsweredBy": "robot",
                "Timestamp": "Sun, 01 Nov 2026 10:00:00 +0000",
            },
        ],
    )
    raw, rejected = ingest(env, "twilio_voice")
    assert raw == []
    assert [code for _, _, code, _ in rejected] == ["unknown_status"]


def test_broken_files_are_one_bad_file_row_each_and_the_others_load(env):
    folder = env.landing / "sendgrid" / BATCH
    env.write("sendgrid", BATCH, "good.jsonl", [GOOD["sendgrid"]])
    (folder / "fake.jsonl.gz").write_bytes(b'{"not": "gzip"}\n')
    (folder / "cut.json").write_text('[{"event": "open",')
    (folder / "notes.txt").write_text("hello\n")
    truncated = gzip.compress(b'{"sg_event_id": "ev9", "event": "open"}\n' * 1000)
    (folder / "truncated.jsonl.gz").write_bytes(truncated[: len(truncated) // 2])
    (folder / "empty.jsonl").write_bytes(b"")
    (folder / "empty-array.json").write_text("[]")

    raw, rejected = ingest(env, "sendgrid")
    assert raw == [(1, "open")]
    assert [(f, p, code) for f, p, code, _ in rejected] == [
        ("cut.json", None, "bad_file"),
        ("fake.jsonl.gz", None, "bad_file"),
        ("notes.txt", None, "bad_file"),
        ("truncated.jsonl.gz", None, "bad_file"),
    ]


def test_a_missing_batch_folder_is_an_empty_batch(env):
    raw, rejected = ingest(env, "sendgrid")
    assert (raw, rejected) == ([], [])
