"""Render simulated events as the providers' records, and make bad records of every kind.

`render` returns the record with what the pipeline must read from it (event time, dedupe key,
message key), taken from the record as written, so that the expected counts follow the record
and not the intent when a variant (no Timestamp, a fallback message key) changes them.
"""

from __future__ import annotations

import base64
import json
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime

from orchestration.generate.world import Event

UTC = UTC


@dataclass
class Record:
    """One record as landed, and what it must yield."""

    source: str
    batch: int  # index of the batch (day) it lands in
    payload: dict | str  # a JSON object, or raw text for a malformed line
    time_us: int | None  # event time the pipeline must read (µs since epoch)
    results: list[tuple[str, str]]  # (channel, status)
    dedupe_key: str | None  # the spec's result key, without status
    by_status: bool  # the dedupe key includes the status
    message_key: str | None
    engagement_id: str | None
    reason: str | None = None  # expected quarantine reason, for bad records


def _us(t: datetime) -> int:
    return int(t.timestamp() * 1_000_000)


def _iso(t: datetime, rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.1:  # the same instant with a -05:00 offset
        return t.astimezone(timezone(timedelta(hours=-5))).isoformat(timespec="milliseconds")
    if roll < 0.15:  # no offset means UTC
        return t.replace(tzinfo=None).isoformat(timespec="milliseconds")
    return t.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _event_id(rng: random.Random) -> str:
    return base64.urlsafe_b64encode(rng.getrandbits(128).to_bytes(16, "big")).decode()[:22]


def render(event: Event, batch: int, rng: random.Random) -> Record:
    return {
        "twilio_voice": _voice,
        "twilio_messaging": _messaging,
        "sendgrid": _sendgrid,
        "activity": _activity,
    }[event.source](event, batch, rng)


def _ms(t: datetime) -> datetime:
    return t.replace(microsecond=t.microsecond // 1000 * 1000)


def _voice(e: Event, batch: int, rng: random.Random) -> Record:
    t = e.time.replace(microsecond=0)
    received = _ms(e.time + e.delay + timedelta(milliseconds=rng.randint(50, 900)))
    payload = {
        "AccountSid": "AC" + "1" * 32,
        "ApiVersion": "2010-04-01",
        "Direction": "outbound-api",
        "From": "+15005550006",
        "To": "+15558675310",
        "CallbackSource": "call-progress-events",
        **e.fields,
        "received_at": received.isoformat(timespec="milliseconds"),
    }
    if rng.random() < 0.95:
        payload["Timestamp"] = format_datetime(t)
        time_us = _us(t)
    else:  # no Timestamp: the receiver's received_at is the event time
        time_us = _us(received)
    if rng.random() < 0.1:
        payload["engagement_id"] = e.engagement_id
    payload = {k: v for k, v in payload.items() if v is not None}
    return Record(
        "twilio_voice",
        batch,
        payload,
        time_us,
        e.results,
        e.message_key,
        True,
        e.message_key,
        payload.get("engagement_id"),
    )


def _messaging(e: Event, batch: int, rng: random.Random) -> Record:
    received = _ms(e.time + e.delay + timedelta(milliseconds=rng.randint(50, 900)))
    status = e.fields["MessageStatus"]
    payload = {
        "AccountSid": "AC" + "1" * 32,
        "ApiVersion": "2010-04-01",
        "From": "+15005550006",
        "To": "+15558675310",
        "SmsSid": e.message_key,
        "SmsStatus": status,
        **e.fields,
        "received_at": _iso(received, rng),
    }
    if rng.random() < 0.1:
        payload["engagement_id"] = e.engagement_id
    payload = {k: v for k, v in payload.items() if v is not None}
    return Record(
        "twilio_messaging",
        batch,
        payload,
        _us(received),
        e.results,
        e.message_key,
        True,
        e.message_key,
        payload.get("engagement_id"),
    )


def _sendgrid(e: Event, batch: int, rng: random.Random) -> Record:
    seconds = int(e.time.timestamp())
    payload: dict = {
        "email": "someone@example.com",
        "timestamp": seconds,
        "smtp-id": f"<{e.message_key[:20]}@ismtpd-042>",
        "category": ["reminder"],
        "sg_event_id": _event_id(rng),
        **e.fields,
        "engagement_id": e.engagement_id,
    }
    roll = rng.random()
    if roll < 0.05:
        payload["timestamp"] = str(seconds)
    elif roll < 0.06:
        payload["timestamp"] = seconds * 1000  # milliseconds, as in a public sample
    if rng.random() < 0.03:
        payload["event"] = payload["event"].capitalize()
    message_key = e.message_key
    if rng.random() < 0.02:
        del payload["sg_message_id"]
        message_key = payload["smtp-id"]
    return Record(
        "sendgrid",
        batch,
        payload,
        seconds * 1_000_000,
        e.results,
        payload["sg_event_id"],
        False,
        message_key,
        e.engagement_id,
    )


def _activity(e: Event, batch: int, rng: random.Random) -> Record:
    t = e.time.replace(microsecond=e.time.microsecond // 1000 * 1000)
    event_type = e.fields["event_type"]
    payload = {
        "event_id": str(uuid.UUID(int=rng.getrandbits(128))),
        "occurred_at": _iso(t, rng),
        "channel": e.fields["channel"],
        "event_type": event_type.upper() if rng.random() < 0.03 else event_type,
        "message_id": e.message_key,
        "engagement_id": e.engagement_id,
        "contact_id": f"c-{rng.randint(1, 10**6)}",
        "attrs": {},
    }
    return Record(
        "activity",
        batch,
        payload,
        _us(t),
        e.results,
        payload["event_id"],
        False,
        e.message_key,
        e.engagement_id,
    )


def redelivered(record: Record, batch: int, rng: random.Random) -> Record:
    """The same record delivered again (provider retry) into `batch`."""
    payload = json.loads(json.dumps(record.payload))
    time_us = record.time_us
    if record.source == "twilio_messaging":  # the receiver logs the retry when it arrives
        assert time_us is not None
        later = timedelta(days=batch - record.batch, minutes=rng.randint(1, 60))
        received = datetime.fromtimestamp(time_us / 1e6, UTC) + later
        payload["received_at"] = received.isoformat(timespec="milliseconds")
        time_us = _us(received)
    return Record(
        record.source,
        batch,
        payload,
        time_us,
        record.results,
        record.dedupe_key,
        record.by_status,
        record.message_key,
        record.engagement_id,
    )


BAD_KINDS = (
    "malformed",
    "missing_field",
    "bad_timestamp",
    "unknown_status",
    "status_not_allowed_for_channel",
)


def bad(source: str, kind: str, batch: int, day: datetime, rng: random.Random) -> Record | None:
    """A record that must be quarantined with reason `kind` (None: the source cannot have it)."""
    t = day + timedelta(seconds=rng.randint(0, 86_399))
    sid = f"{rng.getrandbits(128):032x}"
    good = {
        "twilio_voice": {
            "CallSid": "CA" + sid,
            "CallStatus": "ringing",
            "Timestamp": format_datetime(t),
        },
        "twilio_messaging": {
            "MessageSid": "SM" + sid,
            "MessageStatus": "sent",
            "received_at": t.isoformat(),
        },
        "sendgrid": {
            "sg_event_id": _event_id(rng),
            "sg_message_id": sid,
            "event": "delivered",
            "timestamp": int(t.timestamp()),
        },
        "activity": {
            "event_id": str(uuid.UUID(int=rng.getrandbits(128))),
            "occurred_at": t.isoformat(),
            "channel": "voice",
            "event_type": "dial",
            "message_id": "CA" + sid,
        },
    }[source]
    key, status, time_field = {
        "twilio_voice": ("CallSid", "CallStatus", "Timestamp"),
        "twilio_messaging": ("MessageSid", "MessageStatus", "received_at"),
        "sendgrid": ("sg_event_id", "event", "timestamp"),
        "activity": ("event_id", "event_type", "occurred_at"),
    }[source]
    payload: dict | str = dict(good)
    if kind == "malformed":
        text = json.dumps(good)
        payload = rng.choice([text[: len(text) // 2], "not json at all", "42", '"a string"'])
    elif kind == "missing_field":
        choice = rng.choice(["absent", "null", "empty", "status"])
        if choice == "status":
            del payload[status]  # type: ignore[union-attr]
        else:
            payload[key] = {"absent": None, "null": None, "empty": ""}[choice]  # type: ignore[index]
            if choice == "absent":
                del payload[key]  # type: ignore[union-attr]
    elif kind == "bad_timestamp":
        payload[time_field] = {  # type: ignore[index]
            "twilio_voice": "Mon, 30 Feb 2026 10:00:00 +0000",
            "twilio_messaging": "2026-11-31T10:00:00Z",
            "sendgrid": "yesterday",
            "activity": "2026-02-30T08:00:00+01:00",
        }[source]
    elif kind == "unknown_status":
        payload[status] = {
            "twilio_voice": "no_answer",
            "twilio_messaging": "deliverd",  # type: ignore[index]
            "sendgrid": "bounced",
            "activity": "teleported",
        }[source]
    elif kind == "status_not_allowed_for_channel":
        if source != "activity":
            return None
        payload.update(
            rng.choice(
                [
                    {"channel": "text", "event_type": "open"},  # type: ignore[union-attr]
                    {"channel": "fax", "event_type": "sent"},
                    {"channel": "email", "event_type": "dial"},
                ]
            )
        )
    return Record(source, batch, payload, None, [], None, False, None, None, reason=kind)
