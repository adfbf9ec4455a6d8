"""`engagement generate`: a landing tree in the providers' formats, with the hazards of real logs.

Duplicate deliveries within and across batches, late events, events near midnight, pre-carrier
states that count nothing, about 1% bad records of every kind and a broken file per source.
It returns the `Truth`: what the pipeline must find, derived from the records as written by
applying the spec's rule (the first occurrence of each dedupe key wins) in plain Python.
"""

from __future__ import annotations

import os
import random
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from orchestration.generate.layout import SOURCES, write_batch, write_broken_file
from orchestration.generate.providers import BAD_KINDS, Record, bad, redelivered, render
from orchestration.generate.world import CHANNELS

CHANNEL_MIX = {"voice": 0.35, "text": 0.35, "email": 0.30}
EVENTS_PER_MESSAGE = 5
BAD_SHARE_PER_KIND = 0.002
DUPLICATE_SHARE = 0.02
LATE_SHARE = 0.03
NEAR_MIDNIGHT_SHARE = 0.03
PART_EVENTS = 200_000  # events per day of one part: bounds the generator's memory


@dataclass
class ExpectedResult:
    source: str
    channel: str
    status: str
    time_us: int
    message_key: str
    attribution_key: str
    batch_date: date
    engagement_id: str | None = None  # the first engagement named for its message


@dataclass
class Truth:
    start: date
    days: int
    results: list[ExpectedResult] = field(default_factory=list)
    records_read: Counter = field(default_factory=Counter)  # (source, batch_date)
    quarantined: Counter = field(default_factory=Counter)  # (source, batch_date, reason)
    files_written: int = 0
    records_written: int = 0


def generate(
    out: Path,
    start: date,
    days: int,
    events_per_day: int,
    seed: int = 7,
    *,
    keep_results: bool = True,
) -> Truth:
    """Write the landing tree under `out`; large volumes are written in parts, in parallel."""
    parts = max(1, events_per_day // PART_EVENTS)
    jobs = [
        (
            out,
            start,
            days,
            events_per_day // parts,
            seed + n,
            f"part{n:03d}-" if parts > 1 else "",
            keep_results,
        )
        for n in range(parts)
    ]
    if parts == 1:
        return _generate_part(*jobs[0])
    with ProcessPoolExecutor(max_workers=os.cpu_count()) as pool:
        truths = list(pool.map(_generate_part, *zip(*jobs, strict=True)))
    truth = Truth(start, days)
    for part in truths:
        truth.results += part.results
        truth.records_read += part.records_read
        truth.quarantined += part.quarantined
        truth.files_written += part.files_written
        truth.records_written += part.records_written
    return truth


def _generate_part(
    out: Path,
    start: date,
    days: int,
    events_per_day: int,
    seed: int,
    prefix: str,
    keep_results: bool,
) -> Truth:
    rng = random.Random(seed)
    engagements = [f"eng-{i:03d}" for i in range(max(3, min(40, events_per_day // 1600)))]
    by_batch: dict[tuple[str, int], list[Record]] = {}
    for day in range(days):
        for record in _day_records(rng, start, day, days, events_per_day, engagements):
            by_batch.setdefault((record.source, record.batch), []).append(record)
    _add_duplicates(rng, by_batch, days)
    _add_bad_records(rng, by_batch, start, days)

    truth = Truth(start, days)
    placed = []
    for (source, batch), records in sorted(by_batch.items()):
        batch_date = start + timedelta(days=batch)
        rng.shuffle(records)
        files, batch_placed = write_batch(
            rng, out / source / batch_date.isoformat(), source, records, prefix
        )
        truth.files_written += files
        placed += batch_placed
        for record in records:
            truth.records_read[(source, batch_date)] += 1
            if record.reason:
                truth.quarantined[(source, batch_date, record.reason)] += 1
        truth.records_written += len(records)
    for source in SOURCES:  # one broken file per source, in a random batch
        batch_date = start + timedelta(days=rng.randrange(days))
        write_broken_file(rng, out / source / batch_date.isoformat(), prefix)
        truth.files_written += 1
        truth.records_written += 1
        truth.records_read[(source, batch_date)] += 1
        truth.quarantined[(source, batch_date, "bad_file")] += 1
    if keep_results:
        _expected_results(placed, start, truth)
    return truth


def _day_records(rng, start, day, days, events_per_day, engagements):  # type: ignore[no-untyped-def]
    midnight = datetime.combine(start + timedelta(days=day), time(), UTC)
    campaigns = {
        ch: [e for i, e in enumerate(engagements) if i % 3 != n] for n, ch in enumerate(CHANNEL_MIX)
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
                event.delay += timedelta(days=rng.randint(1, 3), hours=rng.randint(0, 5))
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


def _expected_results(placed, start, truth):  # type: ignore[no-untyped-def]
    """The spec's rules in plain Python: per dedupe key the first occurrence (by batch, time,
    file, position) counts; per message the first engagement named by any record counts."""
    seen = set()
    engagements: dict[tuple[str, str], str] = {}
    ordered = sorted(
        (p for p in placed if p[0].reason is None),
        key=lambda p: (p[0].batch, p[0].time_us, p[1], p[2], p[3]),
    )
    for record, _name, _line, _element in ordered:
        if record.engagement_id:
            engagements.setdefault((record.channel, record.attribution_key), record.engagement_id)
        for result in record.results:
            key = (record.source, result.dedupe_key)
            if key in seen:
                continue
            seen.add(key)
            truth.results.append(
                ExpectedResult(
                    source=record.source,
                    channel=result.channel,
                    status=result.status,
                    time_us=record.time_us,
                    message_key=result.message_key,
                    attribution_key=record.attribution_key,
                    batch_date=start + timedelta(days=record.batch),
                )
            )
    for result in truth.results:
        result.engagement_id = engagements.get((result.channel, result.attribution_key))
