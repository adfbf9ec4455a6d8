"""The serving snapshot BI reads: consistent under a running pipeline, Parquet, the report; it
is in DuckDB's default storage format, the warehouse in a newer one."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from html import unescape

import duckdb
import pytest

from orchestration import warehouse
from orchestration.generate import generate
from tests.browser import dump_dom, screenshot
from tests.conftest import Environment

READER = textwrap.dedent(
    """
    import sys, duckdb
    path = sys.argv[1]
    query = "select count(distinct event_date), sum(result_count) from marts.daily_result_counts"
    con = duckdb.connect(path, read_only=True)
    print(*con.sql(query).fetchone(), flush=True)
    sys.stdin.readline()                      # the pipeline ran meanwhile
    print(*con.sql(query).fetchone(), flush=True)
    con.close()
    con = duckdb.connect(path, read_only=True)  # a new connection
    print(*con.sql(query).fetchone(), flush=True)
    """
)


@pytest.fixture
def published(env: Environment, monkeypatch) -> Environment:
    monkeypatch.setenv("ENGAGEMENT_SERVING_DIR", str(env.root / "serving"))
    generate(env.landing, __import__("datetime").date(2026, 11, 1), 3, events_per_day=800)
    env.run("2026-11-01", "2026-11-02")
    return env


def snapshot_counts(path) -> tuple[int, int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.sql(
            "select count(distinct event_date), sum(result_count) from marts.daily_result_counts"
        ).fetchone()
    finally:
        con.close()


def storage_version(path) -> str:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.sql(
            "select tags['storage_version'] from duckdb_databases() where not internal"
        ).fetchone()[0]
    finally:
        con.close()


def default_storage_version(tmp_path) -> str:
    duckdb.connect(str(tmp_path / "default.duckdb")).close()
    return storage_version(tmp_path / "default.duckdb")


def test_a_warehouse_made_before_keeps_its_format_and_takes_writes(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    default = default_storage_version(tmp_path)
    duckdb.connect(str(path)).close()  # as earlier versions of the pipeline made it
    with warehouse.writer(path) as con:
        con.execute(
            "insert into audit.ingested_batches values ('sendgrid', '2026-11-01', 0, 0, 0, 0, 0, "
            "now(), null)"
        )
    assert storage_version(path) == default


def test_a_reader_keeps_its_snapshot_while_a_run_publishes_the_next(published: Environment):
    serving = published.root / "serving" / "warehouse.duckdb"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(serving)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        before = reader.stdout.readline().split()
        published.run("2026-11-03")  # the run writes the warehouse and swaps the snapshot
        reader.stdin.write("go\n")
        reader.stdin.flush()
        held = reader.stdout.readline().split()
        fresh = reader.stdout.readline().split()
    finally:
        reader.kill()
    assert held == before  # the open connection still sees the previous snapshot
    assert int(fresh[0]) > int(before[0]) and int(fresh[1]) > int(before[1])
    warehouse = published.query(
        "select count(distinct event_date), sum(result_count) from marts.daily_result_counts"
    )[0]
    assert tuple(int(v) for v in fresh) == warehouse


def test_the_snapshot_holds_the_marts_with_docs_in_the_default_format_and_parquet_agrees(
    published, tmp_path
):
    serving = published.root / "serving"
    default = default_storage_version(tmp_path)
    # BI's DuckDB may be older than the pipeline's, which made the warehouse in a newer format
    assert storage_version(serving / "warehouse.duckdb") == default
    assert storage_version(published.warehouse_path) == warehouse.WAREHOUSE_STORAGE_VERSION + "+"
    assert default != warehouse.WAREHOUSE_STORAGE_VERSION + "+"
    con = duckdb.connect(str(serving / "warehouse.duckdb"), read_only=True)
    try:
        schemas = {
            row[0] for row in con.sql("select distinct schema_name from duckdb_tables()").fetchall()
        }
        comment = con.sql(
            "select comment from duckdb_columns() where table_name = "
            "'daily_result_counts' and column_name = 'unique_count'"
        ).fetchone()[0]
        parquet = con.sql(
            f"select sum(result_count) from read_parquet("
            f"'{serving}/parquet/daily_result_counts/*/*.parquet', hive_partitioning = true)"
        ).fetchone()[0]
        snapshot = con.sql("select sum(result_count) from marts.daily_result_counts").fetchone()[0]
    finally:
        con.close()
    assert schemas == {"marts"}  # no raw, quarantine or audit data
    assert comment.startswith("Distinct messages")
    assert parquet == snapshot


def test_the_report_renders_in_chromium_with_the_marts_numbers(published: Environment):
    report = published.root / "serving" / "report.html"
    dom = dump_dom(report.as_uri())
    assert len(re.findall(r'class="main-svg"', dom)) >= 7  # the Plotly charts were drawn
    rows = re.findall(
        r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td><td>(\d+)</td>"
        r"<td>(\d+)</td></tr>",
        dom,
    )
    shown = {(d[:10], unescape(c), unescape(s)): (int(n), int(u)) for d, c, s, n, u in rows}
    marts = {
        (str(d), c, s): (n, u)
        for d, c, s, n, u in published.query("select * from marts.daily_result_counts")
    }
    assert shown == marts
    screenshot(report.as_uri(), "report.png")
