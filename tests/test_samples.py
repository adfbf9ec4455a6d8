"""Every public provider sample (tests/fixtures/samples) through the real ingest and dbt build.

Each file lands alone in its own batch, 10 days after the previous one (beyond the 7-day dedupe
window), so that files sharing ids do not deduplicate each other. The expected results and
rejections below were derived by hand from /work/shared/spec/SOURCES.md, the mapping seeds and
the payloads themselves; they are not a copy of what the pipeline produced.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import subprocess
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from orchestration import warehouse
from orchestration.ingest import batch, sources
from orchestration.settings import PROJECT_ROOT
from orchestration.transform.project import DBT_EXECUTABLE
from tests.conftest import SAMPLES

SOURCE_OF_FOLDER = {
    "sendgrid": "sendgrid",
    "ses": "ses",
    "mailgun": "mailgun",
    "twilio": "twilio_export",
}
FIRST_BATCH = date(2026, 1, 1)
HMAC_KEY = b"samples-test-key"
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
DAYS_BETWEEN_BATCHES = 10


@dataclass(frozen=True)
class Result:
    """One row of marts.fct_engagement_results, reduced to what carries its meaning."""

    position: int
    item: str | None
    channel: str
    status: str
    event_time: datetime
    message_key: str
    dedupe_key: str
    bounce_type: str | None = None


@dataclass(frozen=True)
class Rejected:
    """One row of quarantine.rejected_records."""

    position: int | None
    item: str | None
    reason_code: str


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def epoch_us(text: str) -> int:
    return (utc(text) - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def json_key(*parts: str) -> str:
    return json.dumps(list(parts), separators=(",", ":"))


def private(value: str) -> str:
    """What the marts hold for a key with an email address in it: its keyed hash (HMAC-SHA256
    with the test's key, first 32 hex digits), computed here with Python's hmac."""
    if not EMAIL.search(value):
        return value
    return hmac.new(HMAC_KEY, value.encode(), hashlib.sha256).hexdigest()[:32]


def sendgrid(status, time, event_id, message_id, bounce_type=None, *, item=None) -> Result:
    """SendGrid: one result per event, deduped on sg_event_id alone."""
    return Result(
        1, item, "email", status, utc(time), message_id, f"sendgrid||{event_id}", bounce_type
    )


def ses(status, time, recipient, bounce_type=None, *, message_id=None) -> Result:
    """SES: one result per recipient, keyed (messageId, status, recipient, event time)."""
    message_id = message_id or SES_MESSAGE
    dedupe = json_key(message_id, recipient, str(epoch_us(time)))
    return Result(
        1,
        None,
        "email",
        status,
        utc(time),
        private(json_key(message_id, recipient)),
        f"ses|{status}|{private(dedupe)}",
        bounce_type,
    )


def twilio(channel, sid, status, time, *, position=1, item=None) -> Result:
    """Twilio resources: keyed (sid, canonical status); the message key is the sid."""
    return Result(position, item, channel, status, utc(time), sid, f"twilio_export|{status}|{sid}")


def call(sid, status, time, **where) -> Result:
    return twilio("voice", sid, status, time, **where)


def text(sid, status, time, **where) -> Result:
    return twilio("text", sid, status, time, **where)


def rejected(reason_code, *, position=1, item=None) -> Rejected:
    return Rejected(position, item, reason_code)


# SendGrid ---------------------------------------------------------------------------------------
SG_EVENT = "sendgrid_internal_event_id"
SG_MESSAGE = "sendgrid_internal_message_id"
MIRA_TIME = "2009-08-11T00:00:00Z"  # 1249948800
DOCS_TIME = "2017-12-15T00:59:29Z"  # 1513299569
DOCS_MESSAGE = "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0"

# SES --------------------------------------------------------------------------------------------
SES_MESSAGE = "EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000"
RECIPIENT = "recipient@example.com"

# Twilio -----------------------------------------------------------------------------------------
CA_A = "CAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
CA_0 = "CAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa0"
SM_A = "SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
SM_B7 = "SMb7c0a2ce80504485a6f653a7110836f5"
SM_DED = "SMded05904ccb347238880ca9264e8fe1c"
TIME_2010 = "2010-08-31T20:36:44Z"  # end_time "Tue, 31 Aug 2010 20:36:44 +0000"
TIME_2015 = "2015-07-30T20:12:33Z"  # date_updated "Thu, 30 Jul 2015 20:12:33 +0000"


def calls_page() -> list[Result]:
    """The two calls of a list page: status and AMD result at each call's end_time."""
    return [
        call(CA_A, "completed", "2019-10-18T17:03:00Z", item="calls[0]"),
        call(CA_A, "machine", "2019-10-18T17:03:00Z", item="calls[0]"),  # machine_start
        call(CA_0, "completed", "2019-10-18T16:03:00Z", item="calls[1]"),
        call(CA_0, "human", "2019-10-18T16:03:00Z", item="calls[1]"),
    ]


def csv_call(line: int, sid: str, status: str, time: str) -> Result:
    return call(sid, status, time, position=line)


def csv_text(line: int, sid: str, updated_at: str) -> Result:
    return text(sid, "delivered", "2023-01-12T" + updated_at + "Z", position=line)


def airbyte_call(line: int, sid: str, end_time: str) -> Result:
    return call(sid, "completed", end_time, position=line)


EXPECTED: dict[str, list[Result | Rejected]] = {
    # --- sendgrid/ (mirajavora: bare objects, all sharing the same ids) ---------------------
    "sendgrid/mirajavora_bounce-null.json": [
        sendgrid("bounce", "2015-06-22T10:04:36Z", SG_EVENT, SG_MESSAGE, "blocked"),
    ],
    "sendgrid/mirajavora_bounce-with-ip.json": [
        sendgrid("bounce", "2016-06-04T19:18:46Z", SG_EVENT, SG_MESSAGE, "bounce"),
    ],
    "sendgrid/mirajavora_bounce.json": [
        sendgrid("bounce", MIRA_TIME, SG_EVENT, SG_MESSAGE, "bounce"),
    ],
    "sendgrid/mirajavora_click-with-urloffset.json": [
        sendgrid("click", MIRA_TIME, SG_EVENT, SG_MESSAGE),
    ],
    "sendgrid/mirajavora_click.json": [sendgrid("click", MIRA_TIME, SG_EVENT, SG_MESSAGE)],
    "sendgrid/mirajavora_deferred.json": [],  # deferred: known, counts nothing
    "sendgrid/mirajavora_delivered-with-tlsanderror.json": [
        sendgrid("delivered", MIRA_TIME, SG_EVENT, SG_MESSAGE),
    ],
    "sendgrid/mirajavora_delivered.json": [
        sendgrid("delivered", MIRA_TIME, SG_EVENT, SG_MESSAGE),
    ],
    "sendgrid/mirajavora_drop.json": [
        sendgrid("bounce", MIRA_TIME, SG_EVENT, SG_MESSAGE, "dropped"),
    ],
    "sendgrid/mirajavora_group_resubscribe.json": [],  # known, counts nothing
    "sendgrid/mirajavora_group_unsubscribe.json": [
        sendgrid("unsubscribe", MIRA_TIME, SG_EVENT, SG_MESSAGE),
    ],
    "sendgrid/mirajavora_open.json": [sendgrid("open", MIRA_TIME, SG_EVENT, SG_MESSAGE)],
    "sendgrid/mirajavora_processed-with-sendat.json": [
        sendgrid("sent", MIRA_TIME, SG_EVENT, SG_MESSAGE),
    ],
    "sendgrid/mirajavora_processed.json": [sendgrid("sent", MIRA_TIME, SG_EVENT, SG_MESSAGE)],
    "sendgrid/mirajavora_spamreport.json": [
        sendgrid("complaint", MIRA_TIME, SG_EVENT, SG_MESSAGE),
    ],
    "sendgrid/mirajavora_unsubscribe.json": [
        sendgrid("unsubscribe", MIRA_TIME, SG_EVENT, SG_MESSAGE),
    ],
    # --- sendgrid/ (docs) ---------------------------------------------------------------------
    # 11 events, one sg_event_id, one timestamp: the first (processed, [0]) is the only result.
    "sendgrid/docs_event_examples_all_types.json": [
        sendgrid("sent", DOCS_TIME, "sg_event_id", "sg_message_id", item="[0]"),
    ],
    "sendgrid/docs_processed.json": [
        sendgrid(
            "sent",
            DOCS_TIME,
            "rbtnWrG1DVDGGGFHFyun0A==",
            "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.000000000000000000000",
            item="[0]",
        ),
    ],
    "sendgrid/docs_dropped.json": [
        sendgrid(
            "bounce", DOCS_TIME, "zmzJhfJgAfUSOW80yEbPyw==", DOCS_MESSAGE, "dropped", item="[0]"
        ),
    ],
    "sendgrid/docs_delivered.json": [
        sendgrid("delivered", DOCS_TIME, "rWVYmVk90MjZJ9iohOBa3w==", DOCS_MESSAGE, item="[0]"),
    ],
    "sendgrid/docs_deferred.json": [],
    "sendgrid/docs_bounce.json": [
        sendgrid(
            "bounce", DOCS_TIME, "6g4ZI7SA-xmRDv57GoPIPw==", DOCS_MESSAGE, "bounce", item="[0]"
        ),
    ],
    "sendgrid/docs_bounce_blocked.json": [
        sendgrid(
            "bounce", DOCS_TIME, "6g4ZI7SA-xmRDv57GoPIPw==", DOCS_MESSAGE, "blocked", item="[0]"
        ),
    ],
    "sendgrid/docs_open.json": [
        sendgrid("open", DOCS_TIME, "FOTFFO0ecsBE-zxFXfs6WA==", DOCS_MESSAGE, item="[0]"),
    ],
    "sendgrid/docs_click.json": [
        sendgrid("click", DOCS_TIME, "kCAi1KttyQdEKHhdC-nuEA==", DOCS_MESSAGE, item="[0]"),
    ],
    "sendgrid/docs_spamreport.json": [
        sendgrid("complaint", DOCS_TIME, "37nvH5QBz858KGVYCM4uOA==", DOCS_MESSAGE, item="[0]"),
    ],
    "sendgrid/docs_unsubscribe.json": [
        sendgrid("unsubscribe", DOCS_TIME, "zz_BjPgU_5pS-J8vlfB1sg==", DOCS_MESSAGE, item="[0]"),
    ],
    "sendgrid/docs_group_unsubscribe.json": [
        sendgrid("unsubscribe", DOCS_TIME, "ahSCB7xYcXFb-hEaawsPRw==", DOCS_MESSAGE, item="[0]"),
    ],
    "sendgrid/docs_group_resubscribe.json": [],
    # Events without sg_event_id: the key field is missing.
    "sendgrid/docs_category_string.json": [
        rejected("missing_field", item="[0]"),
        rejected("missing_field", item="[1]"),
    ],
    "sendgrid/docs_category_array.json": [
        rejected("missing_field", item="[0]"),
        rejected("missing_field", item="[1]"),
    ],
    "sendgrid/docs_unique_args_click.json": [rejected("missing_field", item="[0]")],
    # "Processed" would be known and "123456789" a valid time, but sg_event_id is missing.
    "sendgrid/docs_reserved_keys_processed.json": [rejected("missing_field", item="[0]")],
    "sendgrid/docs_custom_args_event.json": [rejected("missing_field", item="[0]")],
    "sendgrid/docs_legacy_newsletter_unsubscribe.json": [rejected("missing_field", item="[0]")],
    # 1591726752372 > 10^11: milliseconds.
    "sendgrid/docs_singlesend_open.json": [
        sendgrid("open", "2020-06-09T18:19:12.372Z", SG_EVENT, SG_MESSAGE, item="[0]"),
    ],
    "sendgrid/docs_marketing_campaign_processed.json": [
        sendgrid("sent", "2015-09-15T20:37:08Z", SG_EVENT, SG_MESSAGE),
    ],
    "sendgrid/docs_ab_test_processed.json": [
        sendgrid(
            "sent",
            "2015-09-15T20:44:08Z",
            "qNOzbkTuTNCdxa1eXEpnXg",
            "5lFl7Fr1Rjme_EyzNNB_5A.stfilter-015.5185.55F883172.0",
        ),
    ],
    "sendgrid/docs_ab_test_winner_delivered.json": [
        sendgrid(
            "delivered",
            "2015-09-15T20:45:11Z",
            "X2M1IUfMRhuAhWM0CbmFqQ",
            "fPJrJPIRTxC_obpgfTy74w.stfilter-015.5185.55F883564.0",
        ),
    ],
    "sendgrid/docs_ip_pool_processed.json": [
        sendgrid(
            "sent",
            "2015-03-26T22:39:38Z",
            "RHFZB1IrTD2Y9Q7bUdZxUw",
            "14c583da911.2c36.1c804d.filter-406.22375.55148AA99.0",
            item="[0]",
        ),
    ],
    "sendgrid/docs_click_url_offset.json": [
        sendgrid("click", MIRA_TIME, SG_EVENT, SG_MESSAGE, item="[0]"),
    ],
    # --- ses/ (bare event-publishing records) ------------------------------------------------
    "ses/bounce.json": [
        ses("bounce", "2017-08-05T00:41:02.669Z", RECIPIENT, "Permanent/General"),
    ],
    "ses/complaint.json": [ses("complaint", "2017-08-05T00:41:02.669Z", RECIPIENT)],
    "ses/delivery.json": [ses("delivered", "2016-10-19T23:21:04.133Z", RECIPIENT)],
    "ses/send.json": [ses("sent", "2016-10-14T05:02:16.645Z", RECIPIENT)],  # mail.timestamp
    # Reject has no own timestamp; its only destination is the sender's address.
    "ses/reject.json": [
        ses("bounce", "2016-10-14T17:38:15.211Z", "sender@example.com", "rejected"),
    ],
    "ses/open.json": [ses("open", "2017-08-09T22:00:19.652Z", RECIPIENT)],
    "ses/click.json": [ses("click", "2017-08-09T23:51:25.570Z", RECIPIENT)],
    "ses/rendering_failure.json": [
        ses("bounce", "2018-01-22T18:43:06.197Z", RECIPIENT, "rendering_failure"),
    ],
    "ses/delivery_delay.json": [],  # DeliveryDelay: known, counts nothing
    "ses/subscription.json": [],  # Subscription: known, counts nothing
    # --- mailgun/ (none of the mailgun-go test events carries an `id`) -----------------------
    "mailgun/accepted_full.json": [rejected("missing_field")],
    "mailgun/accepted_invalid_user_variables.json": [rejected("missing_field")],
    "mailgun/accepted_minimal.json": [rejected("missing_field")],
    "mailgun/delivered_with_attachment.json": [rejected("missing_field")],
    "mailgun/events_page_response.json": [
        rejected("missing_field", item="items[0]"),
        rejected("missing_field", item="items[1]"),
    ],
    "mailgun/parse_error_accepted_string_timestamp.json": [rejected("missing_field")],
    "mailgun/parse_error_unknown_event.json": [rejected("missing_field")],  # before unknown
    "mailgun/stored.json": [rejected("missing_field")],
    # --- twilio/ call resources (final status at end_time) ------------------------------------
    "twilio/calls_resource_cancel.json": [call(CA_A, "canceled", TIME_2010)],
    "twilio/calls_resource_create.json": [call(CA_A, "completed", TIME_2010)],
    "twilio/calls_resource_create_with_twiml.json": [call(CA_A, "completed", TIME_2010)],
    "twilio/calls_resource_fetch.json": [
        call(CA_A, "completed", "2019-10-18T17:03:00Z"),
        call(CA_A, "machine", "2019-10-18T17:03:00Z"),  # answered_by machine_start
    ],
    "twilio/calls_resource_posttwiml.json": [call(CA_A, "canceled", TIME_2010)],
    "twilio/calls_resource_read_empty_date_fun_date_formats.json": [],
    "twilio/calls_resource_read_empty_dates_greater.json": [],
    "twilio/calls_resource_read_empty_dates_less.json": [],
    "twilio/calls_resource_read_full_page1.json": calls_page(),
    "twilio/calls_resource_read_full_page2.json": calls_page(),
    "twilio/calls_resource_update.json": [call(CA_A, "completed", TIME_2010)],
    "twilio/calls_resource_updatetimelimit.json": [call(CA_A, "canceled", TIME_2010)],
    # --- twilio/ message resources (final status at date_updated) -----------------------------
    "twilio/messages_resource_cancel_message.json": [],  # canceled: counts nothing
    "twilio/messages_resource_create.json": [text(SM_A, "sent", TIME_2015)],
    "twilio/messages_resource_create_scheduled_message_mms.json": [],  # scheduled
    "twilio/messages_resource_create_scheduled_message_sms.json": [],
    "twilio/messages_resource_create_scheduled_message_whatsapp.json": [],
    "twilio/messages_resource_create_with_messaging_service.json": [
        text(SM_A, "sent", TIME_2015),
    ],
    "twilio/messages_resource_create_with_queued_status.json": [],  # queued
    "twilio/messages_resource_create_wo_service.json": [text(SM_A, "sent", TIME_2015)],
    "twilio/messages_resource_fetch.json": [text(SM_B7, "sent", "2019-05-24T17:18:28Z")],
    "twilio/messages_resource_read_empty_sentdate_equals.json": [],
    "twilio/messages_resource_read_empty_sentdate_greater.json": [],
    "twilio/messages_resource_read_empty_sentdate_greater_format1.json": [],
    "twilio/messages_resource_read_empty_sentdate_greater_format2.json": [],
    "twilio/messages_resource_read_empty_sentdate_greater_format3.json": [],
    "twilio/messages_resource_read_empty_sentdate_less.json": [],
    # messages[1] (MMc262…) is "received": an inbound message counts nothing.
    "twilio/messages_resource_read_full_page1.json": [
        text(SM_DED, "sent", "2019-05-24T17:44:50Z", item="messages[0]"),
    ],
    "twilio/messages_resource_redact_body.json": [text(SM_B7, "sent", "2019-05-24T17:18:28Z")],
    # --- twilio/ Fivetran CSV: position = line in the file (the header is line 1) --------------
    "twilio/fivetran_twilio_call_data.csv": [
        csv_call(2, "CA25fbfeda4ab426ce7c4fe252271337d1", "canceled", "2022-07-25T16:37:07Z"),
        csv_call(3, "CAc352ca73dae60beebeez7069b2d44b03", "canceled", "2022-10-11T16:13:37Z"),
        csv_call(4, "CAb5e1d4da497b0d6c4cezf13a33cfd269", "completed", "2022-09-13T22:57:09Z"),
        rejected("bad_timestamp", position=5),  # CAbaf3bc…: end_time 2022-02-30
        csv_call(6, "CAad2d71b2e735a5b326ez7ebf2ddd21c2", "completed", "2022-09-21T16:39:42Z"),
        csv_call(7, "CAa76e92a04e1417b4f7eza74b574620f9", "completed", "2022-07-20T15:20:51Z"),
        csv_call(8, "CAba29fa0430de399ac9ez221fbe2279f2", "completed", "2022-10-02T12:32:56Z"),
        csv_call(9, "CAac94ca9007f3ad9236ez26f1e6aa15e4", "completed", "2023-02-03T01:43:30Z"),
        csv_call(10, "CA77fa61551bbe30f4c2ezb495a6ebf243", "completed", "2022-11-03T15:12:21Z"),
    ],
    # Messages have no end_time: updated_at (2023-01-12, earlier than date_sent) is the time.
    "twilio/fivetran_twilio_message_data.csv": [
        csv_text(2, "SMce88ff89fc4a7c8cd5780c2a3f1fed7d", "16:20:49"),
        csv_text(3, "SMa78b9876f1356026de15868f064f49be", "16:20:45"),
        csv_text(4, "SMe42de2118d740eecf447708f97f06218", "16:19:14"),
        csv_text(5, "SMe380d947d85a9cab193df8859fb28a83", "16:18:26"),
        csv_text(6, "SM2c921ecab1078ff21d382565413aa2f2", "16:18:50"),
        csv_text(7, "SMf17e6c663fc791f636ba2f6187e0d793", "16:19:16"),
        csv_text(8, "SM0422166880eaeb0a50496ca6f9d6993e", "16:19:52"),
        csv_text(9, "SM4ff11e83c20fd4a0f1f438cc5797ac11", "16:20:40"),
        csv_text(10, "SM7392d9ce9e354da8a9ec2e5ec2e633c2", "16:20:02"),
        csv_text(11, "SM302c14c1e45c4aa854b5a35bf4ad88f5", "16:20:16"),
    ],
    # --- twilio/ Airbyte JSONL: {"stream", "data"} per line; line 12 is a received message ----
    "twilio/airbyte_expected_records.jsonl": [
        airbyte_call(1, "CAe71d3c7533543b5c81b1be3fc5affa2b", "2022-06-17T22:28:34Z"),
        airbyte_call(2, "CA0a47223735162e1a7df2738327bda2ab", "2022-06-17T13:36:17Z"),
        airbyte_call(3, "CAace5c8813c499253bbbff29ad0da0ccb", "2022-06-16T20:02:43Z"),
        airbyte_call(4, "CAa24e9fbcb6eba3c8cfefc248a3c0b5b4", "2022-06-02T12:54:05Z"),
        airbyte_call(5, "CA65f8d6ee9f8783233750f2b0f99cf1b3", "2022-05-26T22:14:18Z"),
        airbyte_call(6, "CA5b6907d5ebca072c9bd0f46952b886b6", "2022-05-24T23:00:40Z"),
        airbyte_call(7, "CA696bd2d2e37ef8501f443807dce444a9", "2022-05-11T18:21:15Z"),
        airbyte_call(8, "CAe86d27d7aba7c857135b46f52f578d0b", "2022-04-20T17:33:25Z"),
        airbyte_call(9, "CAade9599c9cf53091c1787898093e2675", "2022-04-06T21:01:01Z"),
        airbyte_call(10, "CAa3887d4de4849a630bc369351f300171", "2022-04-06T20:57:37Z"),
        airbyte_call(11, "CA78611ecf5e7f101b1a59be31b8f520f7", "2022-03-13T23:56:37Z"),
    ],
}

# Each sample file is its own batch: (source, batch date), in a fixed order.
BATCH_OF: dict[str, tuple[str, date]] = {
    name: (
        SOURCE_OF_FOLDER[name.split("/")[0]],
        FIRST_BATCH + timedelta(days=DAYS_BETWEEN_BATCHES * i),
    )
    for i, name in enumerate(sorted(EXPECTED))
}


def land_samples(landing: Path) -> None:
    for name, (source, batch_date) in BATCH_OF.items():
        folder = landing / source / batch_date.isoformat()
        folder.mkdir(parents=True)
        (folder / Path(name).name).write_bytes((SAMPLES / name).read_bytes())


def build_dbt(warehouse_path: Path) -> None:
    env = {**os.environ, "ENGAGEMENT_WAREHOUSE": str(warehouse_path), "ENGAGEMENT_TIMEZONE": "UTC"}
    env.pop("ENGAGEMENT_DEDUPE_WINDOW_DAYS", None)
    built = subprocess.run(
        [
            DBT_EXECUTABLE,
            *("build", "--exclude-resource-type", "unit_test"),
            *("--profiles-dir", str(PROJECT_ROOT / "dbt_project")),
        ],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stdout[-5000:]


Loaded = dict[tuple[str, date, str], list[Result | Rejected]]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    """Ingest every sample in its own batch, build dbt once; rows by (source, batch, file)."""
    root = tmp_path_factory.mktemp("samples")
    landing, warehouse_path = root / "landing", root / "warehouse.duckdb"
    land_samples(landing)
    with warehouse.writer(warehouse_path) as con:
        for source, batch_date in BATCH_OF.values():
            batch.ingest_batch(con, sources.get(source), landing, batch_date, hmac_key=HMAC_KEY)
    build_dbt(warehouse_path)

    rows: Loaded = defaultdict(list)
    con = duckdb.connect(str(warehouse_path), read_only=True)
    try:
        for source, batch_date, file, *values in con.execute(
            "select source, batch_date, source_file, position, item, channel, status, "
            "event_time, message_key, dedupe_key, bounce_type from marts.fct_engagement_results"
        ).fetchall():
            rows[source, batch_date, file].append(Result(*values))
        for source, batch_date, file, *values in con.execute(
            "select source, batch_date, source_file, position, item, reason_code "
            "from quarantine.rejected_records"
        ).fetchall():
            rows[source, batch_date, file].append(Rejected(*values))
    finally:
        con.close()
    return rows


def test_every_sample_file_has_an_expectation():
    files = [path for path in SAMPLES.rglob("*") if path.is_file() and path.name != "README.md"]
    on_disk = {str(path.relative_to(SAMPLES)) for path in files}
    assert on_disk == set(EXPECTED)
    assert len(EXPECTED) == 91


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_gives_exactly_its_expected_rows(loaded: Loaded, name: str):
    source, batch_date = BATCH_OF[name]
    got = loaded.get((source, batch_date, Path(name).name), [])
    assert sorted(got, key=repr) == sorted(EXPECTED[name], key=repr)


def test_no_row_belongs_to_anything_but_a_sample_file(loaded: Loaded):
    landed = {(*batch_of, Path(name).name) for name, batch_of in BATCH_OF.items()}
    assert {key for key, rows in loaded.items() if rows} <= landed
