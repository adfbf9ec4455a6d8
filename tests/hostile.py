"""Hostile landing files for every source (hypothesis strategies), and what must hold for them.

`batches(source)` draws the files of one batch folder: records of the source with fields deleted
or replaced by values of every wrong type, edge timestamps, envelopes (SNS, webhook bodies, API
pages, list pages) with broken parts, arrays of mixed elements, deep nesting, huge values, then
lines cut short or spiked with NUL bytes, invalid UTF-8, BOMs and CRLF, and files that are random
bytes or gzip streams cut short or corrupted, under names made of quotes, semicolons, newlines and
SQL. `check_batch` asserts what the contract promises whatever the input.
"""

from __future__ import annotations

import copy
import csv
import gzip
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from hypothesis import strategies as st

from orchestration import taxonomy
from orchestration.ingest import records
from orchestration.ingest.quarantine import REASON_CODES
from orchestration.ingest.reports import BatchReport

CHANNELS = ("voice", "email", "text")
RFC = "Sun, 01 Nov 2026 10:00:00 +0000"
ISO = "2026-11-01T10:00:00Z"
EPOCH = 1793527200


@dataclass(frozen=True)
class Raw:
    """JSON text written as it is: numbers no float holds, NaN, deep nesting."""

    text: str


def dumps(value: object, sep: str = ", ") -> str:
    """JSON text of `value`, with `Raw` parts verbatim and NaN/Infinity/lone surrogates kept."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        items = (f"{json.dumps(str(k))}: {dumps(v, sep)}" for k, v in value.items())
        return "{" + sep.join(items) + "}"
    if isinstance(value, list):
        return "[" + sep.join(dumps(v, sep) for v in value) + "]"
    return json.dumps(value)


SES_EVENTS = {
    "Bounce": {
        "bounce": {
            "bounceType": "Permanent",
            "bounceSubType": "General",
            "timestamp": ISO,
            "bouncedRecipients": [{"emailAddress": "a@example.org"}],
        }
    },
    "Delivery": {"delivery": {"timestamp": ISO, "recipients": ["a@example.org"]}},
    "Complaint": {
        "complaint": {"timestamp": ISO, "complainedRecipients": [{"emailAddress": "a@x.org"}]}
    },
    "Open": {"open": {"timestamp": ISO}},
    "Click": {"click": {"timestamp": ISO}},
    "Send": {},
    "Reject": {"reject": {"reason": "Bad content"}},
    "DeliveryDelay": {"deliveryDelay": {"timestamp": ISO}},
}
TEMPLATES: dict[str, list[dict]] = {
    "twilio_voice": [
        {
            "CallSid": "CA1",
            "CallStatus": "completed",
            "AnsweredBy": "human",
            "Timestamp": RFC,
            "received_at": ISO,
            "SipResponseCode": "200",
            "engagement_id": "e1",
        }
    ],
    "twilio_messaging": [
        {
            "MessageSid": "SM1",
            "MessageStatus": "delivered",
            "ErrorCode": "30003",
            "received_at": ISO,
            "engagement_id": "e1",
        }
    ],
    "sendgrid": [
        {
            "sg_event_id": "ev1",
            "sg_message_id": "m1",
            "smtp-id": "<m1@x>",
            "event": "bounce",
            "timestamp": EPOCH,
            "type": "blocked",
            "reason": "550",
            "engagement_id": "e1",
        }
    ],
    "activity": [
        {
            "event_id": "a1",
            "occurred_at": ISO,
            "channel": "email",
            "event_type": "bounce",
            "message_id": "m1",
            "engagement_id": "e1",
            "contact_id": "c1",
            "attrs": {"bounce_type": "hard", "detail": "550"},
        }
    ],
    "ses": [
        {
            "eventType": event_type,
            "mail": {
                "messageId": "m1",
                "timestamp": ISO,
                "destination": ["a@example.org", "b@example.org"],
                "tags": {"engagement_id": ["e1"]},
            },
            **parts,
        }
        for event_type, parts in SES_EVENTS.items()
    ],
    "mailgun": [
        {
            "id": "mg1",
            "event": "failed",
            "severity": "permanent",
            "reason": "bounce",
            "timestamp": EPOCH + 0.5,
            "message": {"headers": {"message-id": "m1@mg"}},
            "delivery-status": {"description": "", "message": "550"},
            "user-variables": {"engagement_id": "e1"},
        },
        {
            "id": "mg2",
            "event": "opened",
            "timestamp": EPOCH,
            "message": {"headers": {"message-id": "m2@mg"}},
            "user-variables": '{"engagement_id": "e2"}',
        },
    ],
    "twilio_export": [
        {
            "sid": "CA1",
            "status": "completed",
            "answered_by": "machine_start",
            "end_time": RFC,
            "date_updated": RFC,
            "engagement_id": "e1",
        },
        {"sid": "SM1", "status": "delivered", "date_updated": RFC, "error_code": None},
        {"id": "MM1", "status": "failed", "updated_at": "2026-11-01 10:00:00.000000 UTC"},
    ],
}
STATUS_FIELDS = {
    "twilio_voice": ["CallStatus", "AnsweredBy"],
    "twilio_messaging": ["MessageStatus"],
    "sendgrid": ["event"],
    "activity": ["event_type", "channel"],
    "ses": ["eventType"],
    "mailgun": ["event", "severity"],
    "twilio_export": ["status", "answered_by"],
}

EDGE_TIMES = [
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00+14:00",
    "0000-12-31T23:59:59Z",
    "9999-12-31T23:59:59Z",
    "9999-12-31T23:59:59-14:00",
    "10000-01-01T00:00:00Z",
    "-0001-01-01T00:00:00Z",
    "2026-02-30T10:00:00Z",
    "2026-11-01",
    "2026-11-01T10:00:00",
    "2026-11-01 10:00:00.123456789+05:30",
    "2026-11-01T24:00:00Z",
    "2026-11-01T10:00:00+99:99",
    "2026-11-01T10:00:00Z\x00",
    "Mon, 01 Jan 0001 00:00:00 +0000",
    "Mon, 01 Jan 0001 00:00:00 +2359",
    "Fri, 31 Dec 9999 23:59:59 -2359",
    "Mon, 30 Feb 2026 10:00:00 +0000",
    "Sun, 01 Nov 2026 10:00:00 GMT",
    "01 Nov 2026 10:00:00 +0000",
    "1793527200",
    "1793527200000",
    "1793527200.5",
    " 1793527200 ",
    "-62135596800",
    "-62135596801",
    "253402300799.999999",
    "253402300800",
    "-1",
    "1e400",
    "NaN",
    "Infinity",
    "-Infinity",
    "0x6AE8A6A0",
    "1_793_527_200",
    "",
    " ",
    "now",
]
RAW_NUMBERS = [
    "1e400",
    "-1e400",
    "1e-400",
    "NaN",
    "-NaN",
    "Infinity",
    "-Infinity",
    "-0",
    "1793527200000",
    "1793527200.5",
    "1.7935272E9",
    "-62135596800",
    "-62135596801",
    "253402300800",
    "9223372036854775808",
    "123456789012345678901234567890123456789",
    "0.000001",
]
EDGE_STRINGS = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "a\udfffb",
    "\ufeff",
    "\r\n",
    "null",
    "[]",
    "{}",
    '{"engagement_id": "\\ud800"}',
    "not json",
    "'; drop table raw.observations; --",
    '"',
    "\\",
    "é" * 3,
    "\U0001f600",
]


def _nested(depth: int, kind: str) -> Raw:
    if kind == "array":
        return Raw("[" * depth + "]" * depth)
    return Raw('{"a": ' * depth + "1" + "}" * depth)


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=12),
    st.sampled_from(EDGE_STRINGS),
    st.sampled_from(EDGE_TIMES),
    st.sampled_from(RAW_NUMBERS).map(Raw),
)
huge = st.one_of(
    st.integers(1_000, 200_000).map(lambda n: "x" * n),
    st.builds(_nested, st.integers(1, 3_000), st.sampled_from(["array", "object"])),
    st.integers(100, 5_000).map(lambda n: list(range(n))),
)
hostile_values = st.one_of(
    scalars,
    st.recursive(
        scalars,
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(st.text(max_size=6), children, max_size=3)
        ),
        max_leaves=6,
    ),
    huge,
)


def _paths(value: dict, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = []
    for key, item in value.items():
        paths.append((*prefix, key))
        if isinstance(item, dict):
            paths += _paths(item, (*prefix, key))
    return paths


def _status_values(source: str) -> list[str]:
    tax = taxonomy.load()
    if source == "activity":
        known = [s for statuses in tax.statuses.values() for s in statuses] + list(CHANNELS)
    else:
        known = [value.split("/")[0] for _, value in tax.known_values(source)]
    known += [v.split("/")[1] for _, v in tax.known_values(source) if "/" in v]
    return sorted({*known, *(f" {v.upper()} " for v in known), "no_such_value", "fax"})


@st.composite
def record(draw: st.DrawFn, source: str) -> dict:
    """A record of `source` with a few fields deleted or replaced by hostile values."""
    value = copy.deepcopy(draw(st.sampled_from(TEMPLATES[source])))
    paths = _paths(value) + [(name,) for name in STATUS_FIELDS[source]]
    statuses = st.sampled_from(_status_values(source))
    for path in draw(st.lists(st.sampled_from(paths), max_size=4, unique=True)):
        parent = value
        for key in path[:-1]:
            parent = parent.get(key) if isinstance(parent.get(key), dict) else None
            if parent is None:
                break
        if parent is None:
            continue
        choice = draw(st.sampled_from(["delete", "hostile", "status", "time"]))
        if choice == "delete":
            parent.pop(path[-1], None)
        elif choice == "status":
            parent[path[-1]] = draw(statuses)
        elif choice == "time":
            parent[path[-1]] = draw(
                st.sampled_from(EDGE_TIMES) | st.sampled_from(RAW_NUMBERS).map(Raw)
            )
        else:
            parent[path[-1]] = draw(hostile_values)
    return value


@st.composite
def unit(draw: st.DrawFn, source: str) -> object:
    """What one line (or document) holds: a record, maybe in an envelope, an array, or junk."""
    inner = record(source)
    elements = st.lists(st.one_of(inner, inner, hostile_values), max_size=4)
    options = [inner, inner, elements, hostile_values]
    if source == "ses":
        message = st.one_of(
            inner.map(dumps),
            inner.map(lambda r: dumps(r)[: len(dumps(r)) // 2]),
            hostile_values,
        )
        options.append(
            st.fixed_dictionaries(
                {
                    "Type": st.sampled_from(["Notification", "SubscriptionConfirmation"])
                    | hostile_values,
                    "Message": message,
                    "Timestamp": st.just(ISO),
                }
            )
        )
    if source == "mailgun":
        options.append(
            st.fixed_dictionaries({"signature": st.just({}), "event-data": inner | hostile_values})
        )
        options.append(
            st.fixed_dictionaries({"items": elements | hostile_values, "paging": scalars})
        )
    if source == "twilio_export":
        pages = st.sampled_from(["calls", "messages"])
        options.append(
            st.builds(lambda name, items: {name: items}, pages, elements | hostile_values)
        )
        options.append(
            st.fixed_dictionaries({"stream": st.just("calls"), "data": inner | hostile_values})
        )
    return draw(st.one_of(options))


@st.composite
def corrupt_line(draw: st.DrawFn, data: bytes) -> bytes:
    """Cut, spike or replace the bytes of one line."""
    kind = draw(st.sampled_from(["cut", "nul", "utf8", "bom", "cr", "random"]))
    at = draw(st.integers(0, len(data)))
    if kind == "cut":
        return data[:at]
    if kind == "nul":
        return data[:at] + b"\x00" + data[at:]
    if kind == "utf8":
        bad = draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xc0\xaf", b"\xf4\x90"]))
        return data[:at] + bad + data[at:]
    if kind == "bom":
        return b"\xef\xbb\xbf" + data
    if kind == "cr":
        return data[:at] + b"\r" + data[at:]
    return draw(st.binary(max_size=64)).replace(b"\n", b" ")


@dataclass
class Line:
    data: bytes
    value: object = None  # the JSON value written, when the line holds it intact
    intact: bool = False


@dataclass
class Landed:
    """One entry of a batch folder as written, and the lines it holds when they are known."""

    name: str
    data: bytes
    lines: list[Line] = field(default_factory=list)  # numbered from 1 when the file is intact
    intact: bool = False


@st.composite
def line(draw: st.DrawFn, source: str) -> Line:
    roll = draw(st.integers(0, 9))
    if roll == 0:
        return Line(draw(st.sampled_from([b"", b"   ", b"\t\r", b"[]"])), None, False)
    value = draw(unit(source))
    data = dumps(value).encode("utf-8", "surrogatepass")
    if roll == 1:
        return Line(draw(corrupt_line(data)))
    return Line(data, value, True)


NAMES = [
    "a",
    "O'Brien",
    'say "hi"',
    "semi;colon",
    "new\nline",
    "..",
    "x'); drop table raw.observations; --",
    "$1 ? %s {}",
    "tab\there",
    "ünï cødé",
    "-",
]


@st.composite
def landed_file(draw: st.DrawFn, source: str, index: int) -> Landed:
    stem = f"{index}{draw(st.sampled_from(NAMES))}"
    kind = draw(st.sampled_from(["lines", "lines", "document", "csv", "random"]))
    if kind == "lines":
        lines = draw(st.lists(line(source), max_size=6))
        ending = draw(st.sampled_from([b"\n", b"\r\n"]))
        data = b"".join(item.data + ending for item in lines)
        if lines and draw(st.booleans()):
            data = data[: -len(ending)]  # no final newline
        if draw(st.integers(0, 4)) == 0:
            data = b"\xef\xbb\xbf" + data
        ext = draw(st.sampled_from([".jsonl", ".jsonl", ".ndjson", ".txt"]))
        landed = Landed(stem + ext, data, lines, intact=ext != ".txt")
    elif kind == "document":
        value = draw(st.lists(unit(source), max_size=4) | unit(source))
        sep = draw(st.sampled_from([", ", ",\n  ", ",\r\n"]))
        data = dumps(value, sep).encode("utf-8", "surrogatepass")
        intact = True
        if draw(st.integers(0, 3)) == 0:
            data, intact = draw(corrupt_line(data)), False
        landed = Landed(stem + ".json", data, [Line(data, value, intact)], intact=intact)
    elif kind == "csv":
        landed = Landed(stem + ".csv", draw(csv_file(source)))
    else:
        landed = Landed(stem + draw(st.sampled_from([".jsonl", ".json"])), draw(st.binary()))
    if draw(st.integers(0, 3)) == 0:
        landed.name += ".gz"
        landed.data = gzip.compress(landed.data, mtime=0)
        damage = draw(st.sampled_from(["none", "none", "cut", "flip", "junk", "members"]))
        at = draw(st.integers(0, max(len(landed.data) - 1, 0)))
        if damage == "cut":
            landed.data, landed.intact = landed.data[:at], False
        elif damage == "flip" and landed.data:
            flipped = bytes([landed.data[at] ^ 0xFF])
            landed.data, landed.intact = landed.data[:at] + flipped + landed.data[at + 1 :], False
        elif damage == "junk":
            landed.data, landed.intact = landed.data + draw(st.binary(min_size=1)), False
        elif damage == "members":
            landed.data += gzip.compress(b"", mtime=0)
    return landed


@st.composite
def csv_file(draw: st.DrawFn, source: str) -> bytes:
    rows = draw(st.lists(record(source), max_size=4))
    columns = sorted({key for row in rows for key in row} | {"sid"})
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_cell(row.get(column)) for column in columns])
    text = out.getvalue()
    if draw(st.booleans()):
        text += draw(st.sampled_from(['"unterminated\n', "a,b,c,d,e,f,g\n", "\n\n", "\x00\n"]))
    return text.encode("utf-8", "surrogatepass")


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else dumps(value)


@st.composite
def batches(draw: st.DrawFn, source: str) -> list[Landed]:
    count = draw(st.integers(1, 3))
    return [draw(landed_file(source, index)) for index in range(count)]


def write(folder: Path, files: list[Landed]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for landed in files:
        (folder / landed.name).write_bytes(landed.data)


def yields_nothing(source: str, value: object) -> bool:
    """Does a line holding `value` hold no record ([], an empty page, an SNS control message)?"""
    if isinstance(value, list):
        return all(_holds_nothing(source, element) for element in value)
    return _holds_nothing(source, value)


def _holds_nothing(source: str, value: object) -> bool:
    if not isinstance(value, dict):
        return False
    if source == "mailgun":
        return "event-data" not in value and "items" in value and value["items"] == []
    if source == "ses":
        envelope = "Type" in value and not {"eventType", "notificationType"} & set(value)
        return envelope and value["Type"] != "Notification"
    if source == "twilio_export" and "data" not in value:
        for name in ("calls", "messages"):
            if name in value:
                return value[name] == []
    return False


def check_batch(
    con: duckdb.DuckDBPyConnection,
    report: BatchReport,
    files: list[Landed],
) -> None:
    """Everything read is accounted for, and everything loaded is a valid result."""
    slice_ = [report.source, report.batch_date]
    assert report.records_read == report.records_accepted + report.records_rejected
    assert report.records_accepted >= 0
    for file in report.files:
        assert 0 <= file.records_rejected <= file.records_read, file

    rejected = con.execute(
        "select reason_code, reason, coalesce(length(record), 0) from "
        "quarantine.rejected_records where source = ? and batch_date = ?",
        slice_,
    ).fetchall()
    assert len(rejected) == report.records_rejected
    assert {code for code, _, _ in rejected} <= set(REASON_CODES)
    assert all(reason and reason.strip() for _, reason, _ in rejected)
    longest = max((length for _, _, length in rejected), default=0)
    assert longest <= records.RECORD_PREVIEW_CHARS + 100, longest

    raw = con.execute(
        """
        select
            count(*),
            count(distinct (source_file, position, seq)),
            count(*) filter (
                where event_time is null or result_key is null or message_key is null
                    or channel not in ('voice', 'email', 'text')
            )
        from raw.observations where source = ? and batch_date = ?
        """,
        slice_,
    ).fetchone()
    assert raw == (report.observations, report.records_accepted, 0), raw
    known = {f"{f}\x1f{v}" for f, v in taxonomy.load().known_values(report.source)}
    statuses = con.execute(
        "select distinct raw_field || chr(31) || raw_status from raw.observations "
        "where source = ? and batch_date = ?",
        slice_,
    ).fetchall()
    assert {status for (status,) in statuses} <= known
    years = con.execute(
        "select min(year(event_time)), max(year(event_time)) from raw.observations "
        "where source = ? and batch_date = ?",
        slice_,
    ).fetchone()
    assert years == (None, None) or (years[0] >= 1 and years[1] <= 9999), years

    audited = con.execute(
        "select count(*) from audit.ingested_files where source = ? and batch_date = ?", slice_
    ).fetchone()
    assert audited == (len(files),)
    assert len(report.files) == len(files)
    per_file = con.execute(
        """
        select
            f.source_file, f.records_rejected, f.observations,
            (select count(*) from quarantine.rejected_records as q
             where q.source = f.source and q.batch_date = f.batch_date
                and q.source_file = f.source_file),
            (select count(*) from raw.observations as o
             where o.source = f.source and o.batch_date = f.batch_date
                and o.source_file = f.source_file)
        from audit.ingested_files as f where f.source = ? and f.batch_date = ?
        """,
        slice_,
    ).fetchall()
    for name, rejected_n, observations, quarantined_n, loaded_n in per_file:
        assert (rejected_n, observations) == (quarantined_n, loaded_n), name
    _check_every_line_is_accounted_for(con, report, files)


def _check_every_line_is_accounted_for(
    con: duckdb.DuckDBPyConnection, report: BatchReport, files: list[Landed]
) -> None:
    """An intact line holding a record is loaded or quarantined: nothing read vanishes."""
    status = {f.name: f.status for f in report.files}
    seen = set(
        con.execute(
            "select source_file, position from raw.observations "
            "where source = $1 and batch_date = $2 union "
            "select source_file, position from quarantine.rejected_records "
            "where source = $1 and batch_date = $2",
            [report.source, report.batch_date],
        ).fetchall()
    )
    for landed in files:
        if not landed.intact or status.get(landed.name) != "loaded":
            continue
        for number, item in enumerate(landed.lines, 1):
            try:  # the value as a JSON reader sees it (Raw text parsed)
                value = json.loads(dumps(item.value))
            except (ValueError, RecursionError):  # -NaN, deep nesting: no oracle
                continue
            if item.intact and not yields_nothing(report.source, value):
                assert (landed.name, number) in seen, (landed.name, number, item.data[:300])
