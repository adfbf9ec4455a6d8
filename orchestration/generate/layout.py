"""How each provider's records land as files: JSONL logs, POST bodies, SNS, API pages, CSV."""

from __future__ import annotations

import csv
import gzip
import io
import json
import random
from collections.abc import Callable
from pathlib import Path

from orchestration.generate.providers import Record

# How a source's records become its files: (rng, the files being written, the records).
Layout = Callable[[random.Random, "Files", list[Record]], None]

SOURCES = (
    "twilio_voice",
    "twilio_messaging",
    "sendgrid",
    "ses",
    "mailgun",
    "activity",
    "twilio_export",
)
BROKEN_FILES = [
    ("events.jsonl.gz", b'{"not": "gzip"}\n'),
    ("body.json", b'[{"event": "open",'),
    ("export.txt", b"CallSid,Status\nCA1,completed\n"),
]

Placed = tuple[Record, str, int, int]  # record, file name, line, element in the line


class Files:
    """Lines per file, remembering where every record was put."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix  # of every file name (the part of a large volume)
        self.lines: dict[str, list[str]] = {}
        self.placed: list[Placed] = []

    def line(self, name: str, text: str, records: list[Record] = ()) -> None:  # type: ignore[assignment]
        name = self.prefix + name
        lines = self.lines.setdefault(name, [])
        lines.append(text)
        self.placed += [(r, name, len(lines), i) for i, r in enumerate(records)]

    def write(self, folder: Path) -> int:
        folder.mkdir(parents=True, exist_ok=True)
        for name, lines in self.lines.items():
            data = ("\n".join(lines) + "\n").encode()
            (folder / name).write_bytes(
                gzip.compress(data, mtime=0) if name.endswith(".gz") else data
            )
        return len(self.lines)


def write_batch(
    rng: random.Random, folder: Path, source: str, records: list[Record], prefix: str = ""
) -> tuple[int, list[Placed]]:
    files = Files(prefix)
    LAYOUTS[source](rng, files, records)
    return files.write(folder), files.placed


def write_broken_file(rng: random.Random, folder: Path, prefix: str = "") -> None:
    name, content = rng.choice(BROKEN_FILES)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{prefix}broken-{name}").write_bytes(content)


def _text(record: Record) -> str:
    if isinstance(record.payload, str):
        return record.payload
    return json.dumps(record.payload, separators=(",", ":"))


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _json_lines(name: str, parts: int) -> Layout:
    def layout(rng: random.Random, files: Files, records: list[Record]) -> None:
        for n in range(parts):
            for record in records[n::parts]:
                files.line(name.format(n=n), _text(record), [record])

    return layout


def _sendgrid(rng: random.Random, files: Files, records: list[Record]) -> None:
    """POST bodies (arrays of 1-20 events): logged one per line, a few kept as .json files."""
    i, bodies = 0, 0
    while i < len(records):
        body = records[i : i + rng.randint(1, 20)]
        i += len(body)
        broken = [r for r in body if isinstance(r.payload, str) and not _is_json(r.payload)]
        for record in broken:  # a broken body would take its neighbours with it
            files.line(f"webhook-{rng.randrange(3)}.jsonl", record.payload, [record])  # type: ignore[arg-type]
        body = [r for r in body if r not in broken]
        if not body:
            continue
        text = "[" + ",".join(_text(r) for r in body) + "]"
        if bodies < 5 and rng.random() < 0.05:
            files.line(f"post-{bodies}.json", json.dumps(json.loads(text), indent=2), body)
            bodies += 1
        else:
            files.line(
                f"webhook-{rng.randrange(3)}.jsonl" + (".gz" if rng.random() < 0.3 else ""),
                text,
                body,
            )


def _ses(rng: random.Random, files: Files, records: list[Record]) -> None:
    """Firehose delivers bare records, SNS wraps each in a Notification envelope."""
    for record in records:
        if record.layout == "sns" and isinstance(record.payload, dict):
            envelope = {
                "Type": "Notification",
                "MessageId": f"{rng.getrandbits(64):016x}",
                "TopicArn": "arn:aws:sns:us-east-1:123456789012:ses-events",
                "Message": json.dumps(record.payload),
                "Timestamp": "2026-01-01T00:00:00Z",
            }
            files.line("sns-notifications.jsonl", json.dumps(envelope), [record])
        elif record.layout in ("sns", "sns-raw"):
            files.line("sns-notifications.jsonl", _text(record), [record])
        else:
            files.line("firehose-events.jsonl.gz", _text(record), [record])
    if rng.random() < 0.5:  # a subscription confirmation is not a record
        files.line(
            "sns-notifications.jsonl",
            json.dumps(
                {
                    "Type": "SubscriptionConfirmation",
                    "Message": "You have chosen to subscribe",
                    "SubscribeURL": "https://sns.example/confirm",
                }
            ),
        )


def _mailgun(rng: random.Random, files: Files, records: list[Record]) -> None:
    """Webhook bodies one per line; Events API pages of up to 100 items as .json files."""
    page: list[Record] = []
    for record in records:
        if record.layout == "page" and (
            not isinstance(record.payload, str) or _is_json(record.payload)
        ):
            page.append(record)
        elif isinstance(record.payload, dict):
            body = {
                "signature": {"token": "t", "timestamp": "0", "signature": "s"},
                "event-data": record.payload,
            }
            files.line("webhooks.jsonl", json.dumps(body), [record])
        else:
            files.line("webhooks.jsonl", record.payload, [record])  # type: ignore[arg-type]
    for n in range(0, len(page), 100):
        items = page[n : n + 100]
        text = (
            '{"items": ['
            + ",".join(_text(r) for r in items)
            + '], "paging": {"next": "https://api.mailgun.net/v3/events/next"}}'
        )
        files.line(f"events-page-{n // 100}.json", text, items)
    files.line(f"events-page-{len(page) // 100 + 1}.json", '{"items": [], "paging": {}}')


def _twilio_export(rng: random.Random, files: Files, records: list[Record]) -> None:
    """REST list pages, Airbyte records and Fivetran CSV exports of call and message resources."""
    groups: dict[str, list[Record]] = {}
    for record in records:
        groups.setdefault(record.layout, []).append(record)
    for layout, group in sorted(groups.items()):
        form, kind = layout.split("-")
        plural = {"call": "calls", "message": "messages"}[kind]
        if form == "rest":
            text = json.dumps(
                {plural: [r.payload for r in group], "page": 0, "page_size": 50}, indent=1
            )
            files.line(f"{plural}-page.json", text, group)
        elif form == "airbyte":
            for record in group:
                text = (
                    json.dumps(
                        {"stream": plural, "data": record.payload, "emitted_at": 1700000000000}
                    )
                    if isinstance(record.payload, dict)
                    else record.payload
                )
                files.line("airbyte-records.jsonl", text, [record])  # type: ignore[arg-type]
        else:
            columns = sorted({k for r in group for k in r.payload})  # type: ignore[union-attr]
            out = io.StringIO()
            writer = csv.DictWriter(out, columns, lineterminator="\n")
            writer.writeheader()
            files.line(f"fivetran-{plural}.csv", out.getvalue().rstrip("\n"))
            for record in group:
                out = io.StringIO()
                csv.DictWriter(out, columns, lineterminator="\n").writerow(record.payload)  # type: ignore[arg-type]
                files.line(f"fivetran-{plural}.csv", out.getvalue().rstrip("\n"), [record])


LAYOUTS: dict[str, Layout] = {
    "twilio_voice": _json_lines("twilio-voice-{n}.jsonl", 3),
    "twilio_messaging": _json_lines("twilio-messaging-{n}.jsonl", 2),
    "activity": _json_lines("activity-{n}.jsonl.gz", 2),
    "sendgrid": _sendgrid,
    "ses": _ses,
    "mailgun": _mailgun,
    "twilio_export": _twilio_export,
}
