"""Hostile and malformed input: nothing crashes a batch, and every record read is accounted for.

Property-based over every parser: `tests/hostile.py` draws batch folders of hostile landing files
and `check_batch` asserts the reconciliation and what a loaded row must be. CI runs a few
derandomized examples per test (reproducible, a few seconds). The fuzz run draws many more, with
random seeds, on the same tests:

    HOSTILE_FUZZ_EXAMPLES=3000 .venv/bin/pytest tests/test_hostile_input.py -x -q

(`HOSTILE_FUZZ_EXAMPLES` is examples per test; a failure prints its falsifying example and a
`@reproduce_failure` blob.)
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import tracemalloc
from datetime import date, timedelta
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestration import warehouse
from orchestration.ingest import batch, landing, reader, records, sources
from orchestration.ingest.appender import ROW_GROUP_ROWS
from orchestration.ingest.landing import LandingFile
from orchestration.ingest.reports import BatchReport
from orchestration.resources import EngagementConfig
from orchestration.settings import DEFAULT_MAX_RECORD_BYTES, ConfigError, Settings
from tests import hostile

FUZZ_EXAMPLES = int(os.environ.get("HOSTILE_FUZZ_EXAMPLES", "0"))
BATCH = date(2026, 11, 1)
GOOD_SENDGRID = {"sg_event_id": "ev1", "event": "open", "timestamp": 1793527200}


def fuzz(ci_examples: int) -> settings:
    """CI: a few derandomized examples. Fuzzing: HOSTILE_FUZZ_EXAMPLES, random seeds."""
    return settings(
        max_examples=FUZZ_EXAMPLES or ci_examples,
        derandomize=not FUZZ_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
            HealthCheck.function_scoped_fixture,
        ],
    )


def ingest(
    con, source: str, landing_dir: Path, max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES
) -> BatchReport:
    return batch.ingest_batch(
        con, sources.get(source), landing_dir, BATCH, max_record_bytes=max_record_bytes
    )


def rows(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


@pytest.mark.parametrize("source", sorted(sources.all_parsers()))
def test_a_hostile_batch_never_crashes_and_every_record_is_accounted_for(tmp_path, source):
    landing_dir = tmp_path / "landing"
    folder = landing.batch_dir(landing_dir, source, BATCH)
    with warehouse.writer(tmp_path / "warehouse.duckdb") as con:

        @fuzz(ci_examples=12)
        @given(
            files=hostile.batches(source),
            max_record_bytes=st.sampled_from([1024, 4096, DEFAULT_MAX_RECORD_BYTES]),
        )
        def run(files: list[hostile.Landed], max_record_bytes: int) -> None:
            shutil.rmtree(folder, ignore_errors=True)
            hostile.write(folder, files)
            report = ingest(con, source, landing_dir, max_record_bytes)
            hostile.check_batch(con, report, files)

        run()


def _expected_units(
    data: bytes, max_bytes: int, preview_bytes: int
) -> list[tuple[int, str, str | None]]:
    """The reader's contract, written the slow way: one unit per line, over-long ones previewed."""
    data = data.removeprefix(reader.BOM)
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    units = []
    for number, text in enumerate(lines, 1):
        if len(text) > max_bytes:
            preview = text[:preview_bytes].decode("utf-8", "backslashreplace")
            units.append((number, preview, "over"))
        else:
            try:
                units.append((number, (text + b"\n").decode("utf-8"), None))
            except UnicodeDecodeError:
                escaped = (text + b"\n").decode("utf-8", "backslashreplace")
                units.append((number, escaped, "the line is not UTF-8 text"))
    return units


@fuzz(ci_examples=150)
@given(
    data=st.lists(
        st.sampled_from([b"\n", b"\r\n", b"x", b'{"a": 1}', b"\xff", b"\xef\xbb\xbf", b"\x00"])
        | st.integers(1, 40).map(lambda n: b"y" * n),
        max_size=30,
    ).map(b"".join),
    block_bytes=st.integers(1, 16),
    max_bytes=st.integers(1, 24),
    gzipped=st.booleans(),
)
def test_lines_are_split_the_same_whatever_the_block_boundaries_and_limit(
    tmp_path_factory, data, block_bytes, max_bytes, gzipped
):
    path = tmp_path_factory.mktemp("lines") / ("a.jsonl.gz" if gzipped else "a.jsonl")
    path.write_bytes(gzip.compress(data) if gzipped else data)
    file = LandingFile(path, path.name, len(data), 0, "lines", gzipped)
    with (
        mock.patch.object(reader, "BLOCK_BYTES", block_bytes),
        mock.patch.object(reader, "PREVIEW_BYTES", 5),
    ):
        tables = list(reader.read_units(file, 1 << 20, max_bytes))
    got = [
        (number, text, error and ("over" if "over the" in error else error))
        for table in tables
        for number, text, error in zip(*table.to_pydict().values(), strict=True)
    ]
    expected = _expected_units(data, max_bytes, preview_bytes=5)
    assert [(n, e) for n, _, e in got] == [(n, e) for n, _, e in expected]
    for (_, text, error), (_, want, _) in zip(got, expected, strict=True):
        assert text.startswith(want) if error == "over" else text == want


def test_a_line_over_the_limit_is_one_malformed_record_and_the_next_lines_load(tmp_path):
    folder = landing.batch_dir(tmp_path, "sendgrid", BATCH)
    folder.mkdir(parents=True)
    huge = json.dumps(GOOD_SENDGRID | {"reason": "x" * 5000})
    good = json.dumps(GOOD_SENDGRID | {"sg_event_id": "ev2"})
    (folder / "a.jsonl").write_text(f"{good}\n{huge}\n{good}\n{huge}")
    with warehouse.writer(tmp_path / "w.duckdb") as con:
        report = ingest(con, "sendgrid", tmp_path, max_record_bytes=4096)
        rejected = rows(
            con, "select position, reason_code, reason, record from quarantine.rejected_records"
        )
        loaded = rows(con, "select position from raw.observations order by position")
    assert (report.records_read, report.records_rejected) == (4, 2)
    assert loaded == [(1,), (3,)]
    assert [(p, code) for p, code, _, _ in rejected] == [(2, "malformed"), (4, "malformed")]
    for _, _, reason, record in rejected:
        assert "4096 byte limit" in reason
        assert len(record) < 4096 + 100 and record.startswith('{"sg_event_id": "ev1"')


@pytest.mark.parametrize("block_bytes", [1, reader.BLOCK_BYTES], ids=["unpacked", "packed"])
def test_files_sharing_a_chunk_keep_their_own_rows_and_counts(tmp_path, block_bytes):
    """Small files are ingested together; each keeps its rows, positions and counts, and a
    file found bad after some of its lines were taken (pending, or already ingested) loses
    those lines, and only those."""
    folder = landing.batch_dir(tmp_path, "sendgrid", BATCH)
    folder.mkdir(parents=True)

    def event(n: int, **fields: object) -> dict:
        return GOOD_SENDGRID | {"sg_event_id": f"ev{n}"} | fields

    def lines(*events: dict) -> str:
        return "".join(json.dumps(e) + "\n" for e in events)

    (folder / "a.jsonl").write_text(lines(event(1)) + "not json\n" + lines(event(2)))
    (folder / "b.json").write_text(json.dumps([event(3), event(4, event="no_such")]))
    (folder / "c.jsonl").write_text(lines(event(5), event(6)))
    (folder / "d.jsonl.gz").write_bytes(gzip.compress(lines(event(7)).encode()))
    read_units = reader.read_units

    def cut_short(file: LandingFile, *limits: int):
        yield from read_units(file, *limits)
        if file.name == "c.jsonl":
            raise reader.BadFile("the file was cut short")

    with (
        mock.patch.object(reader, "read_units", cut_short),
        mock.patch.object(reader, "BLOCK_BYTES", block_bytes),
        warehouse.writer(tmp_path / "w.duckdb") as con,
    ):
        report = ingest(con, "sendgrid", tmp_path)
        audited = rows(
            con,
            "select source_file, status, records_read, records_rejected, observations "
            "from audit.ingested_files order by 1",
        )
        loaded = rows(con, "select source_file, position, item from raw.observations order by all")
        rejected = rows(
            con,
            "select source_file, position, item, reason_code from quarantine.rejected_records "
            "order by all",
        )
    assert audited == [
        ("a.jsonl", "loaded", 3, 1, 2),
        ("b.json", "loaded", 2, 1, 1),
        ("c.jsonl", "bad_file", 1, 1, 0),
        ("d.jsonl.gz", "loaded", 1, 0, 1),
    ]
    assert loaded == [
        ("a.jsonl", 1, None),
        ("a.jsonl", 3, None),
        ("b.json", 1, "[0]"),
        ("d.jsonl.gz", 1, None),
    ]
    assert rejected == [
        ("a.jsonl", 2, None, "malformed"),
        ("b.json", 1, "[1]", "unknown_status"),
        ("c.jsonl", None, None, "bad_file"),
    ]
    assert report.reasons == {"malformed": 1, "unknown_status": 1, "bad_file": 1}


def test_a_batch_reaches_the_warehouse_in_whole_row_groups(tmp_path):
    """Rows are inserted a whole number of row groups at a time, the rest with the next ones:
    each insert writes row groups of its own, and partial ones cost a rewrite at checkpoint."""
    folder = landing.batch_dir(tmp_path, "sendgrid", BATCH)
    folder.mkdir(parents=True)
    records = 2 * ROW_GROUP_ROWS + 20_000
    with (folder / "a.jsonl").open("w") as out:
        for n in range(records):
            out.write(json.dumps(GOOD_SENDGRID | {"sg_event_id": f"ev{n}"}) + "\n")
    with (
        mock.patch.object(reader, "BLOCK_BYTES", 1 << 20),  # chunks of ~14k records
        warehouse.writer(tmp_path / "w.duckdb") as con,
    ):
        ingest(con, "sendgrid", tmp_path)
        row_groups = rows(
            con,
            "select row_group_id, sum(count) from pragma_storage_info('raw.observations') "
            "where column_id = 0 and segment_type <> 'VALIDITY' group by 1 order by 1",
        )
    assert [count for _, count in row_groups] == [
        ROW_GROUP_ROWS,
        ROW_GROUP_ROWS,
        20_000,
    ]


def test_a_gzip_bomb_or_a_file_without_newlines_is_read_in_bounded_memory(tmp_path):
    folder = landing.batch_dir(tmp_path, "sendgrid", BATCH)
    folder.mkdir(parents=True)
    size = 192 << 20
    with gzip.open(folder / "bomb.jsonl.gz", "wb", compresslevel=1) as out:
        out.write(json.dumps(GOOD_SENDGRID).encode() + b"\n")
        for _ in range(size >> 20):
            out.write(b"0" * (1 << 20))  # one line of 192 MiB, no newline until the end
        out.write(b"\n" + json.dumps(GOOD_SENDGRID | {"sg_event_id": "ev2"}).encode())
    assert (folder / "bomb.jsonl.gz").stat().st_size < 1 << 20
    tracemalloc.start()
    try:
        with (
            mock.patch.object(reader, "BLOCK_BYTES", 4 << 20),
            warehouse.writer(tmp_path / "w.duckdb") as con,
        ):
            report = ingest(con, "sendgrid", tmp_path)
            rejected = rows(
                con, "select position, reason, length(record) from quarantine.rejected_records"
            )
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 48 << 20, f"peak Python memory {peak >> 20} MiB"
    assert (report.records_read, report.records_rejected, report.observations) == (3, 1, 2)
    ((position, reason, length),) = rejected
    assert position == 2 and f"{size + 0} bytes" in reason and length < 5000


def test_a_document_over_the_document_limit_is_a_bad_file(tmp_path):
    folder = landing.batch_dir(tmp_path, "sendgrid", BATCH)
    folder.mkdir(parents=True)
    (folder / "body.json.gz").write_bytes(gzip.compress(b"[" + b" " * (4 << 20) + b"]"))
    with (
        mock.patch.object(batch, "MAX_DOCUMENT_BYTES", 1 << 20),
        warehouse.writer(tmp_path / "w.duckdb") as con,
    ):
        ingest(con, "sendgrid", tmp_path)
        rejected = rows(con, "select reason_code, reason from quarantine.rejected_records")
    assert rejected == [("bad_file", "document is larger than the 1048576 byte limit")]


def test_the_text_kept_of_a_rejected_record_is_bounded(tmp_path):
    folder = landing.batch_dir(tmp_path, "sendgrid", BATCH)
    folder.mkdir(parents=True)
    big = GOOD_SENDGRID | {"event": "no_such_value", "reason": "é" * 200_000}
    (folder / "a.json").write_text(json.dumps([big, GOOD_SENDGRID | {"event": "nope"}]))
    with warehouse.writer(tmp_path / "w.duckdb") as con:
        ingest(con, "sendgrid", tmp_path)
        rejected = rows(
            con,
            "select item, reason_code, record from quarantine.rejected_records order by item",
        )
    (_, code, kept), (_, _, small) = rejected
    assert code == "unknown_status"
    assert len(kept) < records.RECORD_PREVIEW_CHARS + 100
    assert kept.startswith('{"sg_event_id":"ev1"') and kept.endswith(" characters]")
    assert json.loads(small)["event"] == "nope"  # a record under the bound is kept verbatim


@pytest.mark.parametrize(
    ("value", "reason_code"),
    [
        ("0001-01-01T00:00:00Z", None),
        ("9999-12-31T23:59:59Z", None),
        ("0001-01-01T00:00:00+01:00", "bad_timestamp"),  # year 0 in UTC
        ("9999-12-31T23:59:59-01:00", "bad_timestamp"),  # year 10000 in UTC
        ("0000-06-01T00:00:00Z", "bad_timestamp"),
    ],
)
def test_an_instant_outside_years_1_to_9999_is_a_bad_timestamp(tmp_path, value, reason_code):
    line = {
        "event_id": "a1",
        "occurred_at": value,
        "channel": "voice",
        "event_type": "dial",
        "message_id": "CA1",
    }
    folder = landing.batch_dir(tmp_path, "activity", BATCH)
    folder.mkdir(parents=True)
    (folder / "a.jsonl").write_text(json.dumps(line) + "\n")
    with warehouse.writer(tmp_path / "w.duckdb") as con:
        ingest(con, "activity", tmp_path)
        codes = rows(con, "select reason_code from quarantine.rejected_records")
    assert codes == ([(reason_code,)] if reason_code else [])


HOSTILE_NAMES = [
    "O'Brien.jsonl",
    'say "hi".jsonl',
    "a;b.jsonl",
    "x'); drop table raw.observations; --.jsonl",
    "new\nline.jsonl",
    "..jsonl",
    "...jsonl",
    "$1 ? %s {} \\.jsonl",
    "select * from quarantine.rejected_records.jsonl",
    "' or '1'='1.json",
]


def test_file_names_never_change_any_sql(tmp_path):
    folder = landing.batch_dir(tmp_path, "sendgrid", BATCH)
    folder.mkdir(parents=True)
    for index, name in enumerate(HOSTILE_NAMES):
        event = GOOD_SENDGRID | {"sg_event_id": f"ev{index}"}
        (folder / name).write_text(json.dumps(event) + "\n")
    (folder / "bad;'name\n.txt").write_text("hello")
    (Path(os.fsdecode(os.fsencode(folder) + b"/not-utf8-\xff\xfe.jsonl"))).write_bytes(
        json.dumps(GOOD_SENDGRID | {"sg_event_id": "evx"}).encode() + b"\n"
    )
    with warehouse.writer(tmp_path / "w.duckdb") as con:
        tables_sql = "select schema_name, table_name from duckdb_tables() where not temporary"
        tables = rows(con, tables_sql)
        report = ingest(con, "sendgrid", tmp_path)
        loaded = rows(con, "select source_file from raw.observations order by source_file")
        rejected = rows(con, "select source_file, reason_code from quarantine.rejected_records")
        assert rows(con, tables_sql) == tables
    assert report.records_read == len(HOSTILE_NAMES) + 2
    assert sorted(name for (name,) in loaded) == sorted(
        [*HOSTILE_NAMES, "not-utf8-\\xff\\xfe.jsonl"]
    )
    assert rejected == [("bad;'name\n.txt", "bad_file")]


def test_links_folders_and_fifos_in_a_batch_folder_are_bad_files_and_never_followed(tmp_path):
    folder = landing.batch_dir(tmp_path, "sendgrid", BATCH)
    folder.mkdir(parents=True)
    secret = tmp_path / "secret.jsonl"
    secret.write_text(json.dumps(GOOD_SENDGRID | {"sg_event_id": "secret"}) + "\n")
    (folder / "link.jsonl").symlink_to(secret)
    (folder / "dangling.jsonl").symlink_to(tmp_path / "nowhere")
    (folder / "up.jsonl").symlink_to("..")
    (folder / "sub.jsonl").mkdir()
    (folder / "sub.jsonl" / "inner.jsonl").write_text(json.dumps(GOOD_SENDGRID) + "\n")
    os.mkfifo(folder / "pipe.jsonl")
    (folder / "good.jsonl").write_text(json.dumps(GOOD_SENDGRID) + "\n")
    with warehouse.writer(tmp_path / "w.duckdb") as con:
        report = ingest(con, "sendgrid", tmp_path)
        loaded = rows(con, "select source_file, result_key from raw.observations")
        rejected = rows(
            con,
            "select source_file, reason_code, reason, record from quarantine.rejected_records "
            "order by source_file",
        )
    assert loaded == [("good.jsonl", "ev1")]
    names = ["dangling.jsonl", "link.jsonl", "pipe.jsonl", "sub.jsonl", "up.jsonl"]
    assert [(name, code) for name, code, _, _ in rejected] == [(n, "bad_file") for n in names]
    assert all("not a regular file" in reason for _, _, reason, _ in rejected)
    assert all(record is None for *_, record in rejected)  # nothing behind a link is read
    assert (report.records_read, report.records_rejected) == (6, 5)


@pytest.mark.parametrize("name", ["2026-13-45", "2026-11-1", "2026-11-01.bak", "x", "..x", " "])
def test_a_batch_folder_whose_name_is_not_a_date_is_never_read(tmp_path, name):
    stray = tmp_path / "sendgrid" / name
    stray.mkdir(parents=True)
    (stray / "a.jsonl").write_text(json.dumps(GOOD_SENDGRID) + "\n")
    (tmp_path / "sendgrid" / "x.jsonl").write_text("{}\n")
    days = [date(2026, 1, 1) + timedelta(days=n) for n in range(366)]
    assert all(landing.batch_files(tmp_path, "sendgrid", day) == [] for day in days)
    assert landing.batch_dir(tmp_path, "sendgrid", BATCH) == tmp_path / "sendgrid" / "2026-11-01"


def test_max_record_bytes_is_a_validated_setting_carried_to_the_resource():
    assert Settings.from_env({}).max_record_bytes == DEFAULT_MAX_RECORD_BYTES == 1 << 20
    settings_ = Settings.from_env({"ENGAGEMENT_MAX_RECORD_BYTES": " 65536 "})
    assert settings_.max_record_bytes == 65536
    assert EngagementConfig.from_settings(settings_).max_record_bytes == 65536
    for raw, message in [
        ("1MB", "not a whole number"),
        ("100", "below the minimum of 1024"),
        (str(1 << 30), "above the maximum"),
    ]:
        with pytest.raises(ConfigError, match=f"ENGAGEMENT_MAX_RECORD_BYTES.*{message}"):
            Settings.from_env({"ENGAGEMENT_MAX_RECORD_BYTES": raw})
