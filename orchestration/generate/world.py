"""Simulated engagements: calls, texts and emails with the lifecycle events providers report.

Each `Event` is one record a provider (or the platform's activity log) sends, with the results
the generator *intends* it to mean: written here from the providers' documentation, not read
from the pipeline's mapping seed. `providers.py` renders events as the providers' records.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

VOICE_OUTCOMES = [
    ("completed", 0.6),
    ("no-answer", 0.14),
    ("busy", 0.1),
    ("failed", 0.08),
    ("canceled", 0.08),
]
AMD_VALUES = [
    ("human", 0.55),
    ("machine_start", 0.15),
    ("machine_end_beep", 0.1),
    ("machine_end_silence", 0.05),
    ("machine_end_other", 0.03),
    ("machine", 0.02),
    ("unknown", 0.07),
    ("fax", 0.03),
]
CALL_STATUS_RESULT = {
    "queued": "queued",
    "initiated": "queued",
    "ringing": "ringing",
    "in-progress": "answered",
    "completed": "completed",
    "busy": "busy",
    "no-answer": "unanswered",
    "failed": "failed",
    "canceled": "canceled",
}
TEXT_FINAL = [("delivered", 0.85), ("undelivered", 0.08), ("failed", 0.07)]
VOICE_FLOW = [
    "play",
    "say",
    "gather",
    "prompt",
    "record",
    "pause",
    "conference",
    "notify",
    "activity",
]
EMAIL_PROVIDERS = [("sendgrid", 0.5), ("ses", 0.25), ("mailgun", 0.25)]
EXPORT_SHARE = 0.1  # calls and texts that also appear in the next day's resource export


Result = tuple[str, str, str | None]  # what an event counts: (channel, status, recipient or None)


@dataclass
class Event:
    """One record to write: its source, when it happened, what it says, what it should count."""

    source: str
    time: datetime  # when it happened (UTC)
    fields: dict  # what the renderer needs
    results: list[Result]
    message_id: str  # the call, text or email message
    engagement_id: str | None = None
    delay: timedelta = field(default_factory=timedelta)  # late arrival: batch = day(time+delay)


def pick(rng: random.Random, weighted: list[tuple[str, float]]) -> str:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


def amd_result(answered_by: str) -> str | None:
    if answered_by == "unknown":
        return None
    return "human" if answered_by == "human" else "machine"


def call(rng: random.Random, start: datetime, engagement: str) -> list[Event]:
    sid = f"CA{rng.getrandbits(128):032x}"
    outcome = pick(rng, VOICE_OUTCOMES)
    events: list[Event] = []

    def callback(
        status: str | None, at: datetime, answered_by: str | None = None, **extra: object
    ) -> None:
        results: list[Result] = []
        if status is not None:
            results.append(("voice", CALL_STATUS_RESULT[status], None))
        machine = amd_result(answered_by) if answered_by is not None else None
        if machine:
            results.append(("voice", machine, None))
        fields = {"CallSid": sid, "CallStatus": status, "AnsweredBy": answered_by, **extra}
        events.append(Event("twilio_voice", at, fields, results, sid, engagement))

    def activity(event_type: str, at: datetime) -> None:
        events.append(
            Event(
                "activity",
                at,
                {"channel": "voice", "event_type": event_type},
                [("voice", event_type, None)],
                sid,
                engagement,
            )
        )

    t = start
    activity("dial", t)
    if rng.random() < 0.1:  # Twilio also reports 'queued': the same queued result
        callback("queued", t + timedelta(milliseconds=200))
        t += timedelta(milliseconds=600)
    callback("initiated", t + timedelta(milliseconds=rng.randint(0, 400)))
    if outcome == "failed":
        end = t + timedelta(seconds=1)
        callback("failed", end, SipResponseCode=rng.choice(["404", "500", "503"]))
        _export_call(rng, events, sid, "failed", None, end, engagement)
        return events
    callback("ringing", t + timedelta(seconds=2))
    if outcome != "completed":
        end = t + timedelta(seconds={"no-answer": 30, "busy": 6, "canceled": 4}[outcome])
        callback(outcome, end, SipResponseCode="486" if outcome == "busy" else None)
        if rng.random() < 0.3:
            activity("hangup", end + timedelta(seconds=1))
        _export_call(rng, events, sid, outcome, None, end, engagement)
        return events
    answered = t + timedelta(seconds=rng.randint(5, 25))
    answered_by = pick(rng, AMD_VALUES)
    callback("in-progress", answered, answered_by)
    if answered_by.startswith("machine") and rng.random() < 0.3:
        # async AMD reports again when the greeting ends: still the same machine result
        callback(None, answered + timedelta(seconds=8), "machine_end_beep")
    step = answered
    for kind in rng.sample(VOICE_FLOW, rng.randint(1, 4)):
        step += timedelta(seconds=rng.randint(2, 20))
        activity(kind, step)
    if answered_by != "human" and rng.random() < 0.5:
        activity("voicemail_drop", step + timedelta(seconds=1))
    end = step + timedelta(seconds=rng.randint(5, 90))
    # Twilio repeats AnsweredBy on the completed callback: a duplicate of the earlier result
    callback(
        "completed",
        end,
        answered_by if rng.random() < 0.5 else None,
        CallDuration=str(int((end - answered).total_seconds())),
    )
    activity("hangup", end)
    if rng.random() < 0.2:
        activity("completed", end)  # the platform logs it too: one more result, same message
    _export_call(rng, events, sid, "completed", answered_by, end, engagement)
    return events


def _export_call(rng, events, sid, status, answered_by, end, engagement):  # type: ignore[no-untyped-def]
    if rng.random() < EXPORT_SHARE:
        results = [("voice", CALL_STATUS_RESULT[status], None)]
        if answered_by and amd_result(answered_by):
            results.append(("voice", amd_result(answered_by), None))
        events.append(
            Event(
                "twilio_export",
                end.replace(microsecond=0),
                {"kind": "call", "sid": sid, "status": status, "answered_by": answered_by},
                results,
                sid,
                None,
                delay=timedelta(days=1),
            )
        )


def text(rng: random.Random, start: datetime, engagement: str) -> list[Event]:
    sid = f"SM{rng.getrandbits(128):032x}"
    final = pick(rng, TEXT_FINAL)
    events: list[Event] = []

    def callback(status: str, at: datetime, result: str | None, **extra: object) -> None:
        results: list[Result] = [("text", result, None)] if result else []
        events.append(
            Event(
                "twilio_messaging",
                at,
                {"MessageSid": sid, "MessageStatus": status, **extra},
                results,
                sid,
                engagement,
            )
        )

    t = start
    if rng.random() < 0.1:
        callback(rng.choice(["accepted", "scheduled"]), t, None)
    callback("queued", t + timedelta(milliseconds=300), None)
    if final == "failed":
        end = t + timedelta(seconds=1)
        callback("failed", end, "failed", ErrorCode="30008")
    else:
        callback("sending", t + timedelta(seconds=1), None)
        callback("sent", t + timedelta(seconds=2), "sent")
        code = {"delivered": None, "undelivered": rng.choice(["30003", "30005", "30006"])}[final]
        end = t + timedelta(seconds=rng.randint(3, 40))
        callback(final, end, final, ErrorCode=code)
    if rng.random() < 0.15:
        kind = rng.choice(["activity", "play"])
        events.append(
            Event(
                "activity",
                t + timedelta(seconds=60),
                {"channel": "text", "event_type": kind},
                [("text", kind, None)],
                sid,
                engagement,
            )
        )
    if rng.random() < EXPORT_SHARE:
        events.append(
            Event(
                "twilio_export",
                end.replace(microsecond=0),
                {"kind": "message", "sid": sid, "status": final},
                [("text", final, None)],
                sid,
                None,
                delay=timedelta(days=1),
            )
        )
    return events


def email(rng: random.Random, start: datetime, engagement: str) -> list[Event]:
    provider = pick(rng, EMAIL_PROVIDERS)
    return {"sendgrid": _sendgrid, "ses": _ses, "mailgun": _mailgun}[provider](
        rng, start, engagement
    )


def _email_outcome(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.02:
        return "dropped"
    if roll < 0.07:
        return "bounce"
    return "deferred" if roll < 0.1 else "delivered"


def _sendgrid(rng: random.Random, start: datetime, engagement: str) -> list[Event]:
    message_id = f"{rng.getrandbits(80):020x}.filter0001.{rng.randint(1000, 9999)}.0"
    events: list[Event] = []

    def event(name: str, at: datetime, result: str | None, **extra: object) -> None:
        results: list[Result] = [("email", result, None)] if result else []
        events.append(
            Event(
                "sendgrid",
                at,
                {"event": name, "sg_message_id": message_id, **extra},
                results,
                message_id,
                engagement,
            )
        )

    t = start
    event("processed", t, "sent")
    outcome = _email_outcome(rng)
    if outcome == "dropped":
        event("dropped", t + timedelta(seconds=1), "bounce", reason="Bounced Address")
        return events
    if outcome == "bounce":
        event(
            "bounce",
            t + timedelta(seconds=5),
            "bounce",
            type=rng.choice(["bounce", "blocked"]),
            reason=f"550 5.1.1 <r{rng.randint(1, 10**6)}@example.com>: unknown user",
        )
        return events
    if outcome == "deferred":
        event(
            "deferred",
            t + timedelta(seconds=5),
            None,
            response="400 try again later",
            attempt=str(rng.randint(1, 5)),
        )
    delivered = t + timedelta(seconds=rng.randint(6, 120))
    event("delivered", delivered, "delivered", response="250 OK")
    if rng.random() < 0.4:
        opened = delivered + timedelta(minutes=rng.randint(1, 600))
        event("open", opened, "open")
        if rng.random() < 0.35:
            event(
                "click",
                opened + timedelta(seconds=rng.randint(2, 300)),
                "click",
                url="https://example.com/offer",
            )
        if rng.random() < 0.02:
            event("spamreport", opened + timedelta(minutes=1), "complaint")
        elif rng.random() < 0.03:
            kind = rng.choice(["unsubscribe", "group_unsubscribe"])
            event(kind, opened + timedelta(minutes=2), "unsubscribe", asm_group_id=7)
            if kind == "group_unsubscribe" and rng.random() < 0.3:
                event("group_resubscribe", opened + timedelta(minutes=30), None, asm_group_id=7)
    if rng.random() < 0.05:
        events.append(
            Event(
                "activity",
                delivered + timedelta(minutes=5),
                {"channel": "email", "event_type": "activity"},
                [("email", "activity", None)],
                message_id,
                engagement,
            )
        )
    return events


def _ses(rng: random.Random, start: datetime, engagement: str) -> list[Event]:
    """One mail to 1-3 recipients; Send, Delivery, Bounce, Complaint fan out per recipient."""
    message_id = f"0100{rng.getrandbits(96):024x}-{rng.getrandbits(32):08x}-000000"
    recipients = [f"r{rng.randint(1, 10**6)}@example.org" for _ in range(rng.choice([1, 1, 2, 3]))]
    mail = {
        "messageId": message_id,
        "destination": recipients,
        "timestamp": start,
        "tags": {"engagement_id": [engagement]},
    }
    events: list[Event] = []

    def event(kind: str, at: datetime, results: list[Result], **body: object) -> None:
        events.append(
            Event(
                "ses",
                at,
                {"eventType": kind, "mail": mail, **body},
                results,
                message_id,
                engagement,
            )
        )

    if rng.random() < 0.01:
        event(
            "Reject",
            start,
            [("email", "bounce", r) for r in recipients],
            reject={"reason": "Bad content"},
        )
        return events
    if rng.random() < 0.01:
        event(
            "Rendering Failure",
            start,
            [("email", "bounce", r) for r in recipients],
            failure={"errorMessage": "Attribute 'name' is not present", "templateName": "t"},
        )
        return events
    event("Send", start, [("email", "sent", r) for r in recipients], send={})
    delivered = []
    for recipient in recipients:
        at = start + timedelta(seconds=rng.randint(2, 90))
        outcome = _email_outcome(rng)
        if outcome in ("bounce", "dropped"):
            kind = rng.choice([("Permanent", "General"), ("Transient", "MailboxFull")])
            event(
                "Bounce",
                at,
                [("email", "bounce", recipient)],
                bounce={
                    "bounceType": kind[0],
                    "bounceSubType": kind[1],
                    "timestamp": at,
                    "bouncedRecipients": [{"emailAddress": recipient, "status": "5.1.1"}],
                },
            )
            continue
        if outcome == "deferred":
            event(
                "DeliveryDelay",
                at - timedelta(seconds=1),
                [],
                deliveryDelay={
                    "timestamp": at - timedelta(seconds=1),
                    "delayType": "TransientCommunicationFailure",
                    "delayedRecipients": [{"emailAddress": recipient}],
                },
            )
        delivered.append((recipient, at))
    if delivered:
        if rng.random() < 0.5:  # one Delivery record for every delivered recipient
            at = max(a for _, a in delivered)
            event(
                "Delivery",
                at,
                [("email", "delivered", r) for r, _ in delivered],
                delivery={
                    "timestamp": at,
                    "recipients": [r for r, _ in delivered],
                    "smtpResponse": "250 2.6.0 Message received",
                },
            )
        else:
            for recipient, at in delivered:
                event(
                    "Delivery",
                    at,
                    [("email", "delivered", recipient)],
                    delivery={
                        "timestamp": at,
                        "recipients": [recipient],
                        "smtpResponse": "250 2.6.0 Message received",
                    },
                )
        seen = max(a for _, a in delivered)
        one = recipients[0] if len(recipients) == 1 else ""
        if rng.random() < 0.4:
            opened = seen + timedelta(minutes=rng.randint(1, 600))
            event(
                "Open",
                opened,
                [("email", "open", one)],
                open={"timestamp": opened, "ipAddress": "192.0.2.1", "userAgent": "Mozilla"},
            )
            if rng.random() < 0.35:
                clicked = opened + timedelta(seconds=rng.randint(2, 300))
                event(
                    "Click",
                    clicked,
                    [("email", "click", one)],
                    click={"timestamp": clicked, "link": "https://example.com/offer"},
                )
        if rng.random() < 0.02:
            recipient, at = delivered[0]
            event(
                "Complaint",
                at + timedelta(hours=2),
                [("email", "complaint", recipient)],
                complaint={
                    "timestamp": at + timedelta(hours=2),
                    "complainedRecipients": [{"emailAddress": recipient}],
                    "complaintFeedbackType": "abuse",
                },
            )
    return events


def _mailgun(rng: random.Random, start: datetime, engagement: str) -> list[Event]:
    message_id = f"{rng.getrandbits(64):016x}.{rng.randint(100, 999)}@mg.example.com"
    recipient = f"r{rng.randint(1, 10**6)}@example.net"
    events: list[Event] = []

    def event(name: str, at: datetime, result: str | None, **extra: object) -> None:
        results: list[Result] = [("email", result, None)] if result else []
        events.append(
            Event(
                "mailgun",
                at,
                {"event": name, "recipient": recipient, "message_id": message_id, **extra},
                results,
                message_id,
                engagement,
            )
        )

    event("accepted", start, "sent")
    outcome = _email_outcome(rng)
    at = start + timedelta(seconds=rng.randint(2, 90), microseconds=rng.randint(0, 999_999))
    if outcome == "dropped":
        event("rejected", at, "bounce", reject={"reason": "Sandbox subdomains are for test"})
        return events
    if outcome == "bounce":
        event(
            "failed",
            at,
            "bounce",
            severity="permanent",
            reason=rng.choice(["bounce", "suppress-bounce", "generic"]),
        )
        return events
    if outcome == "deferred":
        event("failed", at - timedelta(seconds=1), None, severity="temporary", reason="generic")
    event("delivered", at, "delivered")
    if rng.random() < 0.4:
        opened = at + timedelta(minutes=rng.randint(1, 600))
        event("opened", opened, "open")
        if rng.random() < 0.35:
            event("clicked", opened + timedelta(seconds=rng.randint(2, 300)), "click")
        if rng.random() < 0.02:
            event("complained", opened + timedelta(minutes=1), "complaint")
        elif rng.random() < 0.03:
            event("unsubscribed", opened + timedelta(minutes=2), "unsubscribe")
    return events


CHANNELS = {"voice": call, "text": text, "email": email}
