"""Simulated engagements: calls, texts and emails with the lifecycle events providers report.

Each event is what a provider (or the platform's activity log) sends, with the canonical result
the generator *intends* it to mean, written here from the providers' documentation and
independently of the pipeline's mapping seed. Renderers in `providers.py` turn events into records.
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
AMD_RESULT = {"human": "human", "unknown": None, "fax": "machine"}  # machine* -> machine
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


@dataclass
class Event:
    """One provider record to write: who sent it, what it says, and what it should count as."""

    source: str
    time: datetime  # when it happened (UTC)
    fields: dict  # what the renderer needs
    results: list[tuple[str, str]]  # (channel, status) it should yield; [] = counts nothing
    message_key: str
    engagement_id: str | None = None
    delay: timedelta = field(default_factory=timedelta)  # late arrival: batch = day(time+delay)


def _pick(rng: random.Random, weighted: list[tuple[str, float]]) -> str:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


def _sid(rng: random.Random, prefix: str) -> str:
    return prefix + f"{rng.getrandbits(128):032x}"


def call(rng: random.Random, start: datetime, engagement: str) -> list[Event]:
    sid = _sid(rng, "CA")
    outcome = _pick(rng, VOICE_OUTCOMES)
    events: list[Event] = []

    def callback(
        status: str | None, at: datetime, answered_by: str | None = None, **extra: object
    ) -> None:
        results = []
        if status is not None:
            results.append(("voice", CALL_STATUS_RESULT[status]))
        if answered_by is not None:
            amd = AMD_RESULT.get(answered_by, "machine")
            if amd:
                results.append(("voice", amd))
        fields = {"CallSid": sid, "CallStatus": status, "AnsweredBy": answered_by, **extra}
        events.append(Event("twilio_voice", at, fields, results, sid, engagement))

    def activity(event_type: str, at: datetime) -> None:
        events.append(
            Event(
                "activity",
                at,
                {"channel": "voice", "event_type": event_type},
                [("voice", event_type)],
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
        callback(
            "failed", t + timedelta(seconds=1), SipResponseCode=rng.choice(["404", "500", "503"])
        )
        return events
    callback("ringing", t + timedelta(seconds=2))
    if outcome != "completed":
        wait = {"no-answer": 30, "busy": 6, "canceled": 4}[outcome]
        callback(
            outcome,
            t + timedelta(seconds=wait),
            SipResponseCode="486" if outcome == "busy" else None,
        )
        if rng.random() < 0.3:
            activity("hangup", t + timedelta(seconds=wait + 1))
        return events
    answered = t + timedelta(seconds=rng.randint(5, 25))
    answered_by = _pick(rng, AMD_VALUES)
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
    return events


def text(rng: random.Random, start: datetime, engagement: str) -> list[Event]:
    sid = _sid(rng, "SM")
    final = _pick(rng, TEXT_FINAL)
    events: list[Event] = []

    def callback(status: str, at: datetime, result: str | None, **extra: object) -> None:
        results = [("text", result)] if result else []
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
        callback("failed", t + timedelta(seconds=1), "failed", ErrorCode="30008")
        return events
    callback("sending", t + timedelta(seconds=1), None)
    callback("sent", t + timedelta(seconds=2), "sent")
    code = {"delivered": None, "undelivered": rng.choice(["30003", "30005", "30006"])}[final]
    callback(final, t + timedelta(seconds=rng.randint(3, 40)), final, ErrorCode=code)
    if rng.random() < 0.15:
        kind = rng.choice(["activity", "play"])
        events.append(
            Event(
                "activity",
                t + timedelta(seconds=60),
                {"channel": "text", "event_type": kind},
                [("text", kind)],
                sid,
                engagement,
            )
        )
    return events


def email(rng: random.Random, start: datetime, engagement: str) -> list[Event]:
    message_id = f"{rng.getrandbits(80):020x}.filter0001.{rng.randint(1000, 9999)}.0"
    events: list[Event] = []

    def event(name: str, at: datetime, result: str | None, **extra: object) -> None:
        results = [("email", result)] if result else []
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
    roll = rng.random()
    if roll < 0.02:
        event("dropped", t + timedelta(seconds=1), "bounce", reason="Bounced Address")
        return events
    if roll < 0.07:
        event(
            "bounce",
            t + timedelta(seconds=5),
            "bounce",
            type=rng.choice(["bounce", "blocked"]),
            reason="550 5.1.1 unknown user",
        )
        return events
    if roll < 0.1:
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
                [("email", "activity")],
                message_id,
                engagement,
            )
        )
    return events


CHANNELS = {"voice": call, "text": text, "email": email}
