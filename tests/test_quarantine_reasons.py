"""Every quarantine reason, for every source that can produce it, with its position kept.

These run the ingest step alone (DuckDB + pandera, no dbt) on files written by the test.
"""

from __future__ import annotations

import gzip
import json
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime

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
    "ses": {
        "eventType": "Open",
        "mail": {
            "messageId": "m1",
            "timestamp": "2026-11-01T09:00:00Z",
            "destination": ["a@example.org"],
        },
        "open": {"timestamp": "2026-11-01T10:00:00.250Z"},
    },
    "mailgun": {
        "id": "mg1",
        "event": "opened",
        "timestamp": 1793527200.5,
        "message": {"headers": {"message-id": "m1@mg.example.com"}},
    },
    "twilio_export": {
        "sid": "CA1",
        "status": "completed",
        "end_time": "Sun, 01 Nov 2026 10:00:00 +0000",
    },
}
KEY = {
    "twilio_voice": "CallSid",
    "twilio_messaging": "MessageSid",
    "sendgrid": "sg_event_id",
    "activity": "event_id",
    "ses": "mail.messageId",
    "mailgun": "id",
    "twilio_export": "sid",
}
STATUS = {
    "twilio_voice": "CallStatus",
    "twilio_messaging": "MessageStatus",
    "sendgrid": "event",
    "activity": "event_type",
    "ses": "eventType",
    "mailgun": "event",
    "twilio_export": "status",
}
TIME = {
    "twilio_voice": "Timestamp",
    "twilio_messaging": "received_at",
    "sendgrid": "timestamp",
    "activity": "occurred_at",
    "ses": "open.timestamp",
    "mailgun": "timestamp",
    "twilio_export": "end_time",
}
BAD_TIME = {
    "twilio_voice": "Mon, 30 Feb 2026 10:00:00 +0000",
    "twilio_messaging": "2026-11-31T10:00:00Z",
    "sendgrid": "soon",
    "activity": "2026-02-30T08:00:00+01:00",
    "ses": "2026-02-30T10:00:00Z",
    "mailgun": "later",
    "twilio_export": "2022-02-30 17:23:13.000000 UTC",
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


def event_times(env: Environment, source: str, record: dict) -> list:
    """Ingest `record` alone; the event times of what it loaded."""
    env.write(source, BATCH, "a.jsonl", [record])
    with warehouse.writer(env.warehouse_path) as con:
        batch.ingest_batch(con, sources.get(source), env.landing, date.fromisoformat(BATCH))
        return [t for (t,) in con.execute("select event_time from raw.observations").fetchall()]


def with_(source: str, **changes) -> dict:
    """The good record of `source` with fields (dotted paths) changed; ... removes a field."""
    record = json.loads(json.dumps(GOOD[source]))
    for path, value in changes.items():
        *parents, field = path.split(".")
        target = record
        for parent in parents:
            target = target[parent]
        if value is ...:
            target.pop(field)
        else:
            target[field] = value
    return record


def status_of(source: str) -> str:
    record = GOOD[source]
    for part in STATUS[source].split("."):
        record = record[part]
    return str(record)


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
            with_(source, **{status: " \t" + status_of(source).upper() + " \r\n"}),  # 11 loads
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
            with_("activity", channel="Voice", event_type="dial"),  # only statuses are
            with_("activity", channel=" voice", event_type="dial"),  # normalised
        ],
    )
    _, rejected = ingest(env, "activity")
    assert [code for _, _, code, _ in rejected] == [
        "status_not_allowed_for_channel",
        "status_not_allowed_for_channel",
        "unknown_status",
        "missing_field",
        "status_not_allowed_for_channel",
        "status_not_allowed_for_channel",
    ]


def test_every_part_of_a_status_is_trimmed_and_lower_cased(env):
    record = with_("mailgun", event="\tFailed ", severity=" PERMANENT\n")
    env.write("mailgun", BATCH, "a.jsonl", [record])
    assert ingest(env, "mailgun") == ([(1, "failed/permanent")], [])


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


@pytest.mark.parametrize(
    "value",
    [
        "Sun, 01 Nov 2026 22:00:00 EST",  # the zone names of RFC 2822, section 4.3
        "Sun, 01 Nov 2026 23:00:00 pdt",
        "Sun, 01 Nov 2026 10:00 +0000",  # seconds are optional
        "Sun, 01 Nov 2026 10:00:00 +0000 (UTC)",  # a comment
        "Sun, 01 Nov 2026 10:00:00 +0000 (UTC (Coordinated))",  # comments nest (3.2.3)
        "Sun,01 Nov 2026 10:00:00 +0000",  # the space after the day's comma is optional
        "1 Nov 2026 10:00 CDT (Central)",
    ],
)
def test_a_twilio_timestamp_is_read_as_rfc_2822_defines_it(env, value):
    record = with_("twilio_voice", Timestamp=value)
    # the instant the standard library's RFC 2822 parser reads
    assert event_times(env, "twilio_voice", record) == [parsedate_to_datetime(value)]


@pytest.mark.parametrize(
    ("value", "year"),
    [
        ("Sun, 01 Nov 26 10:00:00 +0000", 2026),  # RFC 2822, section 4.3: 00-49 are 20xx
        ("Mon, 01 Nov 99 10:00:00 +0000", 1999),  # 50-99 are 19xx
        ("Sun, 01 Nov 126 10:00:00 +0000", 2026),  # three digits: 1900 + the value
        ("Sun, 01 Nov 6 10:00:00 +0000", None),  # one digit is no year (not the year 6)
    ],
)
def test_a_twilio_timestamp_with_an_obsolete_year_is_read_as_rfc_2822_says(env, value, year):
    record = with_("twilio_voice", Timestamp=value)
    expected = [datetime(year, 11, 1, 10, tzinfo=UTC)] if year else []
    assert event_times(env, "twilio_voice", record) == expected


@pytest.mark.parametrize(
    "value",
    [
        "2026-11-01t10:00:00z",
        "2026-11-01T05:00:00-05:00",
        "2026-11-01 10:00:00",
        "2026-11-01T10:00Z",
    ],
)
def test_an_iso_time_is_read_as_rfc_3339_writes_it(env, value):
    record = with_("activity", occurred_at=value)
    assert event_times(env, "activity", record) == [datetime(2026, 11, 1, 10, tzinfo=UTC)]


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ("activity", "2026-11-01T24:00:00Z"),  # DuckDB's cast reads it as the next midnight
        ("activity", "2026-11-01T25:00:00Z"),
        ("twilio_voice", "Sun, 01 Nov 2026 10:00:00 +0000 (UTC"),  # a comment not closed
    ],
)
def test_an_impossible_hour_or_an_open_comment_is_a_bad_timestamp(env, source, value):
    env.write(source, BATCH, "a.jsonl", [with_(source, **{TIME[source]: value})])
    _, rejected = ingest(env, source)
    assert [code for _, _, code, _ in rejected] == ["bad_timestamp"]


def test_broken_files_are_one_bad_file_row_each_and_the_others_load(env):
    folder = env.landing / "sendgrid" / BATCH
    env.write("sendgrid", BATCH, "good.jsonl", [GOOD["sendgrid"]])
    (folder / "fake.jsonl.gz").write_bytes(b'{"not": "gzip"}\n')
    (folder / "cut.json").write_text('[{"event": "open",')
    (folder / "notes.txt").write_text("hello\n")
    truncated = gzip.compress(b'{"sg_event_id": "ev9", "event": "open"}\n' * 1000)
    (folder / "truncated.jsonl.gz").write_bytes(truncated[: len(truncated) // 2])
    (folder / "empty.jsonl").write_bytes(b"")
    (folder / "empty.json").write_bytes(b"")
    (folder / "empty.json.gz").write_bytes(b"")
    (folder / "empty-array.json").write_text("[]")

    raw, rejected = ingest(env, "sendgrid")
    assert raw == [(1, "open")]
    assert [(f, p, code) for f, p, code, _ in rejected] == [
        ("cut.json", None, "bad_file"),
        ("fake.jsonl.gz", None, "bad_file"),
        ("notes.txt", None, "bad_file"),
        ("truncated.jsonl.gz", None, "bad_file"),
    ]


def test_a_trailing_comma_is_not_json_though_duckdb_reads_it(env):
    """yyjson (json_valid) takes `[1,]`; JSON and Python's reader do not. NaN they both take."""
    good = json.dumps(GOOD["sendgrid"])
    env.write(
        "sendgrid",
        BATCH,
        "a.jsonl",
        [
            good[:-1] + ",}",  # 1
            f"[{good}, ]",  # 2: one malformed line, though it held an array
            good[:-1] + ', "x": [1,\t]}',  # 3
            good[:-1] + ', "reason": "a, }", "x": [", ]"]}',  # 4: commas in strings: loads
            good[:-1] + ', "x": NaN}',  # 5: loads
        ],
    )
    (env.landing / "sendgrid" / BATCH / "b.json").write_text(
        '{"items": [' + good + ',\n], "paging": {}}'
    )
    raw, rejected = ingest(env, "sendgrid")
    assert raw == [(4, "open"), (5, "open")]
    assert [(f, p, code, reason) for f, p, code, reason in rejected] == [
        *(("a.jsonl", p, "malformed", "the line is not valid JSON") for p in (1, 2, 3)),
        ("b.json", None, "bad_file", "the file is not valid JSON"),
    ]


def test_a_missing_batch_folder_is_an_empty_batch(env):
    raw, rejected = ingest(env, "sendgrid")
    assert (raw, rejected) == ([], [])


def test_ses_opens_sns_envelopes_fans_out_per_recipient_and_rejects_broken_messages(env):
    bounce = {
        "eventType": "Bounce",
        "mail": {
            "messageId": "m2",
            "timestamp": "2026-11-01T09:00:00Z",
            "destination": ["a@example.org", "b@example.org"],
        },
        "bounce": {
            "bounceType": "Permanent",
            "bounceSubType": "General",
            "timestamp": "2026-11-01T09:01:00Z",
            "bouncedRecipients": [
                {"emailAddress": "a@example.org"},
                {"emailAddress": "b@example.org"},
            ],
        },
    }
    no_recipients = json.loads(json.dumps(bounce))
    no_recipients["bounce"]["bouncedRecipients"] = []
    env.write(
        "ses",
        BATCH,
        "sns.jsonl",
        [
            {"Type": "Notification", "Message": json.dumps(bounce)},  # 1: two results
            {"Type": "Notification", "Message": "{not json"},  # 2: malformed
            {"Type": "SubscriptionConfirmation", "Message": "confirm"},  # 3: not a record
            {"Type": "Notification", "Message": "[1]"},  # 4: malformed
            no_recipients,  # 5: no one bounced
            {"Type": "Notification", "Message": json.dumps(bounce)[:-1] + ",}"},  # 6: malformed
        ],
    )
    raw, rejected = ingest(env, "ses")
    assert raw == [(1, "bounce"), (1, "bounce")]
    assert [(p, code) for _, p, code, _ in rejected] == [
        (2, "malformed"),
        (4, "malformed"),
        (5, "missing_field"),
        (6, "malformed"),
    ]
    assert "SNS Message is not JSON" in rejected[0][3]
    assert "SNS Message is not JSON" in rejected[3][3]


def test_mailgun_pages_webhooks_and_severity(env):
    event = GOOD["mailgun"]
    page = {
        "items": [event, 7, with_("mailgun", id="mg2", event="failed", severity="temporary")],
        "paging": {},
    }
    folder = env.landing / "mailgun" / BATCH
    folder.mkdir(parents=True)
    (folder / "page.json").write_text(json.dumps(page))
    (folder / "empty-page.json").write_text('{"items": [], "paging": {}}')
    env.write(
        "mailgun",
        BATCH,
        "webhooks.jsonl",
        [
            {"signature": {}, "event-data": with_("mailgun", id="mg3", event="delivered")},
            {"signature": {}, "event-data": "not an object"},
            with_("mailgun", id="mg4", event="failed"),  # no severity: no status at all
        ],
    )
    raw, rejected = ingest(env, "mailgun")
    assert sorted(status for _, status in raw) == ["delivered", "failed/temporary", "opened"]
    assert [(f, p, code) for f, p, code, _ in rejected] == [
        ("page.json", 1, "malformed"),
        ("webhooks.jsonl", 2, "malformed"),
        ("webhooks.jsonl", 3, "missing_field"),
    ]


def test_a_sendgrid_body_that_is_not_an_array_of_objects(env):
    folder = env.landing / "sendgrid" / BATCH
    folder.mkdir(parents=True)
    (folder / "a.json").write_text('"a string body"')
    (folder / "b.json").write_text(json.dumps(GOOD["sendgrid"]))  # a bare event is one record
    (folder / "c.json").write_text(json.dumps([GOOD["sendgrid"] | {"sg_event_id": "x"}, [1]]))
    raw, rejected = ingest(env, "sendgrid")
    assert raw == [(1, "open"), (1, "open")]
    assert [(f, p, code) for f, p, code, _ in rejected] == [
        ("a.json", 1, "malformed"),
        ("c.json", 1, "malformed"),
    ]


# SendGrid's records are numbered without an unwrap, Mailgun's (which has one) by sorting.
@pytest.mark.parametrize("source", ["sendgrid", "mailgun"])
def test_each_record_keeps_its_place_in_its_line_and_array(env, source):
    event = [with_(source, **{KEY[source]: f"e{i}"}) for i in range(4)]
    env.write(source, BATCH, "events.jsonl", [event[0], [event[1], 7, event[2]], event[3]])
    ingest(env, source)
    with warehouse.connect(env.warehouse_path, read_only=True) as con:
        raw = con.execute(
            "select position, item, seq from raw.observations order by position, seq"
        ).fetchall()
        rejected = con.execute("select position, item from quarantine.rejected_records").fetchall()
    assert raw == [(1, None, 1), (2, "[0]", 1), (2, "[2]", 3), (3, None, 1)]
    assert rejected == [(2, "[1]")]
