"""`engagement generate`: a landing tree in the providers' formats, with the hazards of real logs.

Duplicate deliveries within and across batches, late events, events near midnight, pre-carrier
states that count nothing, and about 1% bad records of every kind (plus a bad file per source).
It returns the `Truth`: what the pipeline must find, derived from the records as written by
applying the spec's rules (first occurrence of each dedupe key wins) in plain Python.
"""

from __future__ import annotations

import gzip
import json
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from orchestration.generate.providers import BAD_KINDS, Record, bad, redelivered, render
from orchestration.generate.world import CHANNELS

SOURCES = ("twilio_voice", "twilio_messaging", "sendgrid", "activity")
CHANNEL_MIX = {"voice": 0.35, "text": 0.35, "email": 0.30}
EVENTS_PER_MESSAGE = 5
BAD_SHARE_PER_KIND = 0.002
DUPLICATE_SHARE = 0.02
LATE_SHARE = 0.03
NEAR_MIDNIGHT_SHARE = 0.03


@dataclass(frozen=True)
class ExpectedResult:
    source: str
    channel: str
    status: str
    time_us: int
    message_key: str
    engagement_id: str | None
    batch_date: date


@dataclass
class Truth:
    start: date
    days: int
    results: list[ExpectedResult] = field(default_factory=list)
    records_read: Counter = field(default_factory=Counter)  # (source, batch_date)
    quarantined: Counter = field(default_factory=Counter)  # (source, batch_date, reason)
    files_written: int = 0
    records_written: int = 0


def generate(out: Path, start: date, days: int, events_per_day: int, seed: int = 7) -> Truth:
    rng = random.Random(seed)
    engagements = [f"eng-{i:03d}" for i in range(max(3, events_per_day // 400))]
    by_batch: dict[tuple[str, int], list[Record]] = {}

    for day in range(days):
        for record in _day_records(rng, start, day, days, events_per_day, engagements):
            by_batch.setdefault((record.source, record.batch), []).append(record)
    _add_duplicates(rng, by_batch, days)
    _add_bad_records(rng, by_batch, start, days)

    truth = Truth(start, days)
    placed = []
    for (source, batch), records in sorted(by_batch.items()):
        folder = out / source / (start + timedelta(days=batch)).isoformat()
        folder.mkdir(parents=True, exist_ok=True)
        rng.shuffle(records)
        placed += _write_batch(rng, folder, source, records, truth)
    _write_bad_files(rng, out, start, days, truth)
    _expected_results(placed, start, truth)
    return truth


def _day_records(rng, start, day, days, events_per_day, engagements):  # type: ignore[no-untyped-def]
    midnight = datetime.combine(start + timedelta(days=day), time(), UTC)
    campaigns = {
        ch: [e for i, e in enumerate(engagements) if i % 3 != list(CHANNEL_MIX).index(ch)]
        for ch in CHANNEL_MIX
    }
    for _ in range(max(1, events_per_day // EVENTS_PER_MESSAGE)):
        channel = rng.choices(list(CHANNEL_MIX), list(CHANNEL_MIX.values()))[0]
        if rng.random() < NEAR_MIDNIGHT_SHARE:
            offset = 86_400 - rng.randint(1, 120)  # its later events cross midnight
        else:
            offset = rng.randint(0, 86_399)
        began = midnight + timedelta(seconds=offset, microseconds=rng.randint(0, 999_999))
        for event in CHANNELS[channel](rng, began, rng.choice(campaigns[channel])):
            if rng.random() < LATE_SHARE:
                event.delay = timedelta(days=rng.randint(1, 3), hours=rng.randint(0, 5))
            batch = ((event.time + event.delay).date() - start).days
            if 0 <= batch < days:
                yield render(event, batch, rng)


def _add_duplicates(rng, by_batch, days):  # type: ignore[no-untyped-def]
    for (source, batch), records in list(by_batch.items()):
        for record in rng.sample(records, int(len(records) * DUPLICATE_SHARE)):
            target = batch if rng.random() < 0.5 else min(days - 1, batch + rng.randint(1, 3))
            by_batch.setdefault((source, target), []).append(redelivered(record, target, rng))


def _add_bad_records(rng, by_batch, start, days):  # type: ignore[no-untyped-def]
    for source in SOURCES:
        for batch in range(days):
            good = len(by_batch.get((source, batch), []))
            day = datetime.combine(start + timedelta(days=batch), time(), UTC)
            for kind in BAD_KINDS:
                for _ in range(max(1, round(good * BAD_SHARE_PER_KIND))):
                    record = bad(source, kind, batch, day, rng)
                    if record is not None:
                        by_batch.setdefault((source, batch), []).append(record)


def _write_batch(rng, folder, source, records, truth):  # type: ignore[no-untyped-def]
    """Write one batch folder; return (record, file, position, element) for every record."""
    placed = []
    files: dict[str, list[str]] = {}
    if source == "sendgrid":  # webhook POST bodies: arrays of events, logged one per line
        lines, bodies = [], []
        i = 0
        while i < len(records):
            body = records[i : i + rng.randint(1, 20)]
            i += len(body)
            if any(isinstance(r.payload, str) and not _is_json(r.payload) for r in body):
                lines += [[r] for r in body]  # a broken body would take its neighbours with it
            elif len(bodies) < 5 and rng.random() < 0.05:
                bodies.append(body)
            else:
                lines.append(body)
        files_per_batch = 3
        for n in range(files_per_batch):
            name = f"webhook-{n}.jsonl" + (".gz" if n == 0 else "")
            files[name] = []
            for line_no, body in enumerate(lines[n::files_per_batch], 1):
                files[name].append(_body_text(body))
                placed += [(r, name, line_no, k) for k, r in enumerate(body)]
        for n, body in enumerate(bodies):
            name = f"post-{n}.json"
            files[name] = [json.dumps([_payload(r) for r in body], indent=2)]
            placed += [(r, name, 1, k) for k, r in enumerate(body)]
    else:
        parts = {"twilio_voice": 3, "twilio_messaging": 2, "activity": 2}[source]
        suffix = ".jsonl.gz" if source == "activity" else ".jsonl"
        for n in range(parts):
            name = f"{source.replace('_', '-')}-{n}{suffix}"
            chunk = records[n::parts]
            files[name] = [_text(r) for r in chunk]
            placed += [(r, name, line_no, 0) for line_no, r in enumerate(chunk, 1)]
    for name, lines_ in files.items():
        data = ("\n".join(lines_) + "\n").encode()
        path = folder / name
        path.write_bytes(gzip.compress(data, mtime=0) if name.endswith(".gz") else data)
        truth.files_written += 1
    for record in records:
        batch_date = truth.start + timedelta(days=record.batch)
        truth.records_read[(source, batch_date)] += 1
        truth.records_written += 1
        if record.reason:
            truth.quarantined[(source, batch_date, record.reason)] += 1
    return placed


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _payload(record: Record):  # type: ignore[no-untyped-def]
    return json.loads(record.payload) if isinstance(record.payload, str) else record.payload


def _text(record: Record) -> str:
    if isinstance(record.payload, str):
        return record.payload
    return json.dumps(record.payload, separators=(",", ":"))


def _body_text(body: list[Record]) -> str:
    if len(body) == 1 and isinstance(body[0].payload, str) and not _is_json(body[0].payload):
        return body[0].payload
    return "[" + ",".join(_text(r) for r in body) + "]"


def _write_bad_files(rng, out, start, days, truth):  # type: ignore[no-untyped-def]
    """One broken file per source, in a random batch: nothing inside it counts."""
    kinds = [
        ("events.jsonl.gz", b'{"not": "gzip"}\n'),
        ("body.json", b'[{"event": "open",'),
        ("export.txt", b"CallSid,Status\nCA1,completed\n"),
    ]
    for source in SOURCES:
        batch = rng.randrange(days)
        batch_date = start + timedelta(days=batch)
        name, content = rng.choice(kinds)
        folder = out / source / batch_date.isoformat()
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"broken-{name}").write_bytes(content)
        truth.files_written += 1
        truth.records_written += 1
        truth.records_read[(source, batch_date)] += 1
        truth.quarantined[(source, batch_date, "bad_file")] += 1


def _expected_results(placed, start, truth):  # type: ignore[no-untyped-def]
    """The spec's dedupe: per key, the first occurrence by batch, time, file, position wins."""
    seen = set()
    ordered = sorted(
        (p for p in placed if p[0].reason is None),
        key=lambda p: (p[0].batch, p[0].time_us, p[1], p[2], p[3]),
    )
    for record, _name, _line, _element in ordered:
        batch_date = start + timedelta(days=record.batch)
        for channel, status in record.results:
            key = (record.source, record.dedupe_key, status if record.by_status else None)
            if key in seen:
                continue
            seen.add(key)
            truth.results.append(
                ExpectedResult(
                    record.source,
                    channel,
                    status,
                    record.time_us,
                    record.message_key,
                    record.engagement_id,
                    batch_date,
                )
            )
