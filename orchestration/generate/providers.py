"""Render simulated events as the providers' records, and make bad records of every kind.

`render` returns the record with what the pipeline must find in it: per result, the channel,
status, message key and dedupe key of the spec, and the event time, all taken from the record
as written (a variant without `Timestamp`, or without `sg_message_id`, changes them).
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


@dataclass(frozen=True)
class Expected:
    """A result the record must yield (before dedupe across records)."""

    channel: str
    status: str
    message_key: str
    dedupe_key: str


@dataclass
class Record:
    """One record as landed, and what it must yield."""

    source: str
    batch: int  # index of the batch (day) it lands in
    payload: dict | str  # a JSON object, or raw text for a malformed line
    time_us: int | None  # event time the pipeline must read (µs since epoch)
    results: list[Expected]
    engagement_id: str | None = None
    reason: str | None = None  # expected quarantine reason, for bad records
    layout: str = ""  # file family the record goes to (e.g. "sns", "page", "rest-call")
    channel: str = ""
    attribution_key: str = ""  # the message its engagement_id attributes


def _us(t: datetime) -> int:
    return int(t.timestamp()) * 1_000_000 + t.microsecond


def _ms(t: datetime) -> datetime:
    return t.replace(microsecond=t.microsecond // 1000 * 1000)


def _iso_z(t: datetime) -> str:
    return t.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _iso_any(t: datetime, rng: random.Random) -> str:
    """The same instant written the ways receivers do: Z, an offset, or no offset (UTC)."""
    roll = rng.random()
    if roll < 0.1:
        return t.astimezone(timezone(timedelta(hours=-5))).isoformat(timespec="milliseconds")
    if roll < 0.15:
        return t.replace(tzinfo=None).isoformat(timespec="milliseconds")
    return _iso_z(t)


def _event_id(rng: random.Random) -> str:
    return base64.urlsafe_b64encode(rng.getrandbits(128).to_bytes(16, "big")).decode()[:22]


def _key(*parts: object) -> str:
    return json.dumps([str(p) for p in parts])


def render(event: Event, batch: int, rng: random.Random) -> Record:
    return RENDERERS[event.source](event, batch, rng)


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
    engagement = e.engagement_id if rng.random() < 0.1 else None
    payload["engagement_id"] = engagement
    payload = {k: v for k, v in payload.items() if v is not None}
    results = [Expected(ch, st, e.message_id, _key(e.message_id, st)) for ch, st, _ in e.results]
    return Record(
        "twilio_voice",
        batch,
        payload,
        time_us,
        results,
        engagement,
        channel="voice",
        attribution_key=e.message_id,
    )


def _messaging(e: Event, batch: int, rng: random.Random) -> Record:
    received = _ms(e.time + e.delay + timedelta(milliseconds=rng.randint(50, 900)))
    status = e.fields["MessageStatus"]
    engagement = e.engagement_id if rng.random() < 0.1 else None
    payload = {
        "AccountSid": "AC" + "1" * 32,
        "ApiVersion": "2010-04-01",
        "From": "+15005550006",
        "To": "+15558675310",
        "SmsSid": e.message_id,
        "SmsStatus": status,
        **e.fields,
        "received_at": _iso_any(received, rng),
        "engagement_id": engagement,
    }
    payload = {k: v for k, v in payload.items() if v is not None}
    results = [Expected(ch, st, e.message_id, _key(e.message_id, st)) for ch, st, _ in e.results]
    return Record(
        "twilio_messaging",
        batch,
        payload,
        _us(received),
        results,
        engagement,
        channel="text",
        attribution_key=e.message_id,
    )


def _sendgrid(e: Event, batch: int, rng: random.Random) -> Record:
    seconds = int(e.time.timestamp())
    payload: dict = {
        "email": "someone@example.com",
        "timestamp": seconds,
        "smtp-id": f"<{e.message_id[:20]}@ismtpd-042>",
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
    message_key = e.message_id
    if rng.random() < 0.02:
        del payload["sg_message_id"]
        message_key = payload["smtp-id"]
    results = [Expected(ch, st, message_key, payload["sg_event_id"]) for ch, st, _ in e.results]
    return Record(
        "sendgrid",
        batch,
        payload,
        seconds * 1_000_000,
        results,
        e.engagement_id,
        channel="email",
        attribution_key=message_key,
    )


def _activity(e: Event, batch: int, rng: random.Random) -> Record:
    t = _ms(e.time)
    event_type = e.fields["event_type"]
    payload = {
        "event_id": str(uuid.UUID(int=rng.getrandbits(128))),
        "occurred_at": _iso_any(t, rng),
        "channel": e.fields["channel"],
        "event_type": event_type.upper() if rng.random() < 0.03 else event_type,
        "message_id": e.message_id,
        "engagement_id": e.engagement_id,
        "contact_id": f"c-{rng.randint(1, 10**6)}",
        "attrs": {"detail": "voicemail left for +1 555 010 7788"}
        if event_type == "voicemail_drop"
        else {},
    }
    results = [Expected(ch, st, e.message_id, payload["event_id"]) for ch, st, _ in e.results]
    return Record(
        "activity",
        batch,
        payload,
        _us(t),
        results,
        e.engagement_id,
        channel=e.fields["channel"],
        attribution_key=e.message_id,
    )


def _ses(e: Event, batch: int, rng: random.Random) -> Record:
    t = _ms(e.time)
    mail = dict(e.fields["mail"])
    mail["timestamp"] = _iso_z(_ms(mail["timestamp"]))
    mail["source"] = "news@example.com"
    record = {k: v for k, v in e.fields.items() if k != "mail"}
    for body in record.values():
        if isinstance(body, dict) and "timestamp" in body:
            body["timestamp"] = _iso_z(_ms(body["timestamp"]))
    payload = {**record, "mail": mail}
    results = [
        Expected(ch, st, _key(mail["messageId"], r), _key(mail["messageId"], r, st, _us(t)))
        for ch, st, r in e.results
    ]
    return Record(
        "ses",
        batch,
        payload,
        _us(t),
        results,
        e.engagement_id,
        layout=rng.choice(["sns", "firehose"]),
        channel="email",
        attribution_key=mail["messageId"],
    )


def _mailgun(e: Event, batch: int, rng: random.Random) -> Record:
    fields = dict(e.fields)
    message_id = fields.pop("message_id")
    event_id = _event_id(rng)
    variables: dict | str = {"engagement_id": e.engagement_id}
    if rng.random() < 0.2:
        variables = json.dumps(variables)  # Mailgun may pass user-variables as a string
    payload = {
        "id": event_id,
        "timestamp": float(f"{int(e.time.timestamp())}.{e.time.microsecond:06d}"),
        **fields,
        "message": {"headers": {"message-id": message_id}},
        "user-variables": variables,
    }
    results = [Expected(ch, st, message_id, _key(event_id, _us(e.time))) for ch, st, _ in e.results]
    return Record(
        "mailgun",
        batch,
        payload,
        _us(e.time),
        results,
        e.engagement_id,
        layout=rng.choice(["webhook", "webhook", "page"]),
        channel="email",
        attribution_key=message_id,
    )


def _export(e: Event, batch: int, rng: random.Random) -> Record:
    kind, sid, status = e.fields["kind"], e.fields["sid"], e.fields["status"]
    t = e.time
    layout = rng.choice(["rest", "airbyte", "csv"])
    when = {
        "rest": format_datetime(t),
        "airbyte": _iso_z(t).replace(".000Z", "Z"),
        "csv": t.strftime("%Y-%m-%d %H:%M:%S.000000 UTC"),
    }[layout]
    names = {"csv": ("id", "updated_at")}.get(layout, ("sid", "date_updated"))
    payload: dict = {
        names[0]: sid,
        "status": status,
        names[1]: when,
        "account_sid": "AC" + "1" * 32,
        "direction": "outbound-api",
    }
    if kind == "call":
        payload.update(end_time=when, answered_by=e.fields["answered_by"], duration="42")
    payload = {k: v for k, v in payload.items() if v is not None}
    results = [Expected(ch, st, sid, _key(sid, st)) for ch, st, _ in e.results]
    return Record(
        "twilio_export",
        batch,
        payload,
        _us(t),
        results,
        None,
        layout=f"{layout}-{kind}",
        channel=e.results[0][0],
        attribution_key=sid,
    )


RENDERERS = {
    "twilio_voice": _voice,
    "twilio_messaging": _messaging,
    "sendgrid": _sendgrid,
    "activity": _activity,
    "ses": _ses,
    "mailgun": _mailgun,
    "twilio_export": _export,
}


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
        record.engagement_id,
        layout=record.layout,
        channel=record.channel,
        attribution_key=record.attribution_key,
    )


BAD_KINDS = (
    "malformed",
    "missing_field",
    "bad_timestamp",
    "unknown_status",
    "status_not_allowed_for_channel",
)

# Per source: a good record, and the paths of its key, status and time fields.
TEMPLATES = {
    "twilio_voice": (
        {"CallSid": "CA{sid}", "CallStatus": "ringing", "Timestamp": "{rfc}"},
        "CallSid",
        "CallStatus",
        "Timestamp",
        "Mon, 30 Feb 2026 10:00:00 +0000",
        "no_answer",
    ),
    "twilio_messaging": (
        {"MessageSid": "SM{sid}", "MessageStatus": "sent", "received_at": "{iso}"},
        "MessageSid",
        "MessageStatus",
        "received_at",
        "2026-11-31T10:00:00Z",
        "deliverd",
    ),
    "sendgrid": (
        {
            "sg_event_id": "{sid}",
            "sg_message_id": "m{sid}",
            "event": "delivered",
            "timestamp": "{epoch}",
        },
        "sg_event_id",
        "event",
        "timestamp",
        "yesterday",
        "bounced",
    ),
    "activity": (
        {
            "event_id": "{sid}",
            "occurred_at": "{iso}",
            "channel": "voice",
            "event_type": "dial",
            "message_id": "CA{sid}",
        },
        "event_id",
        "event_type",
        "occurred_at",
        "2026-02-30T08:00:00+01:00",
        "teleported",
    ),
    "ses": (
        {
            "eventType": "Delivery",
            "mail": {"messageId": "{sid}", "timestamp": "{iso}", "destination": ["x@example.org"]},
            "delivery": {"timestamp": "{iso}", "recipients": ["x@example.org"]},
        },
        "mail.messageId",
        "eventType",
        "delivery.timestamp",
        "2026-02-30T08:00:00.000Z",
        "Teleport",
    ),
    "mailgun": (
        {
            "id": "{sid}",
            "event": "delivered",
            "timestamp": "{epoch}",
            "message": {"headers": {"message-id": "{sid}@mg.example.com"}},
        },
        "id",
        "event",
        "timestamp",
        "soon",
        "exploded",
    ),
    "twilio_export": (
        {"sid": "CA{sid}", "status": "completed", "end_time": "{rfc}"},
        "sid",
        "status",
        "end_time",
        "2022-02-30 17:23:13.000000 UTC",
        "teleported",
    ),
}


def bad(source: str, kind: str, batch: int, day: datetime, rng: random.Random) -> Record | None:
    """A record that must be quarantined with reason `kind` (None: the source cannot have it)."""
    template, key, status, time_field, bad_time, unknown = TEMPLATES[source]
    t = day + timedelta(seconds=rng.randint(0, 86_399))
    values = {
        "sid": f"{rng.getrandbits(128):032x}",
        "rfc": format_datetime(t),
        "iso": _iso_z(t),
        "epoch": int(t.timestamp()),
    }
    good = json.loads(
        json.dumps(template),
        object_hook=lambda d: {
            k: (v.format(**values) if isinstance(v, str) else v) for k, v in d.items()
        },
    )
    if "timestamp" in good and source in ("sendgrid", "mailgun"):
        good["timestamp"] = values["epoch"]
    payload: dict | str = good
    layout = {"ses": "firehose", "mailgun": "webhook", "twilio_export": "airbyte-call"}.get(
        source, ""
    )
    if kind == "malformed":
        text = json.dumps(good)
        payload = rng.choice([text[: len(text) // 2], "not json at all", "42", '"a string"'])
        if source == "ses" and rng.random() < 0.5:  # an SNS envelope whose Message is not JSON
            payload, layout = {"Type": "Notification", "Message": text[:20]}, "sns-raw"
        elif source == "mailgun" and rng.random() < 0.5:  # a broken item of an Events API page
            payload, layout = "42", "page"
    elif kind == "missing_field":
        choice = rng.choice(["absent", "null", "empty", "status"])
        _set(
            good,
            status if choice == "status" else key,
            {"absent": ..., "status": ..., "null": None, "empty": ""}[choice],
        )
        if source == "mailgun" and rng.random() < 0.3:  # failed without severity: no status
            good["event"] = "failed"
    elif kind == "bad_timestamp":
        _set(good, time_field, bad_time)
    elif kind == "unknown_status":
        _set(good, status, unknown)
    elif kind == "status_not_allowed_for_channel":
        if source != "activity":
            return None
        good.update(
            rng.choice(
                [
                    {"channel": "text", "event_type": "open"},
                    {"channel": "fax", "event_type": "sent"},
                    {"channel": "email", "event_type": "dial"},
                ]
            )
        )
    return Record(source, batch, payload, None, [], reason=kind, layout=layout)


def _set(record: dict, path: str, value: object) -> None:
    *parents, last = path.split(".")
    for part in parents:
        record = record[part]
    if value is ...:
        record.pop(last, None)
    else:
        record[last] = value
