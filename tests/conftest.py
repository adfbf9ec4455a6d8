"""Shared fixtures: an isolated environment per test (landing, warehouse, DAGSTER_HOME)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pytest

from orchestration.settings import PROJECT_ROOT, Settings

SAMPLES = PROJECT_ROOT / "tests" / "fixtures" / "samples"


@dataclass
class Environment:
    """Paths of one isolated pipeline environment, set as the ENGAGEMENT_* variables."""

    root: Path
    landing: Path
    warehouse_path: Path

    def settings(self) -> Settings:
        return Settings.from_env()

    def run(self, start: str, end: str | None = None, *, full_refresh: bool = False) -> None:
        from orchestration.run import run_batches

        ok = run_batches(
            date.fromisoformat(start),
            date.fromisoformat(end or start),
            full_refresh=full_refresh,
            settings=self.settings(),
        )
        assert ok, f"pipeline run {start}..{end} failed"

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        con = duckdb.connect(str(self.warehouse_path), read_only=True)
        try:
            return con.execute(sql, params or []).fetchall()
        finally:
            con.close()

    def write(self, source: str, batch: str, name: str, records: list[dict | str]) -> Path:
        """Write one JSONL landing file (dicts are JSON-encoded, strings written as they are)."""
        folder = self.landing / source / batch
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
        path.write_text("\n".join(lines) + "\n")
        return path


@pytest.fixture
def env(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Environment]:
    landing = tmp_path / "landing"
    landing.mkdir()
    # The warehouse is at one path per pytest worker, emptied for each test: dbt keeps its parse
    # state per warehouse path, and parses the whole project again for a new one (~5 s a run).
    warehouse_dir = tmp_path_factory.getbasetemp() / "warehouse"
    shutil.rmtree(warehouse_dir, ignore_errors=True)
    warehouse_path = warehouse_dir / "warehouse.duckdb"
    monkeypatch.setenv("ENGAGEMENT_LANDING_DIR", str(landing))
    monkeypatch.setenv("ENGAGEMENT_WAREHOUSE", str(warehouse_path))
    monkeypatch.setenv("ENGAGEMENT_SERVING_DIR", str(tmp_path / "serving"))
    monkeypatch.setenv("ENGAGEMENT_LAKE_DIR", str(tmp_path / "lake"))
    monkeypatch.delenv("ENGAGEMENT_ENGINE", raising=False)
    monkeypatch.setenv("ENGAGEMENT_TIMEZONE", "UTC")
    monkeypatch.delenv("ENGAGEMENT_DEDUPE_WINDOW_DAYS", raising=False)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    from orchestration.cli import ensure_dagster_home

    ensure_dagster_home()
    yield Environment(tmp_path, landing, warehouse_path)


# What a run writes that is not data (load times) is left out of the comparison.
VOLATILE_COLUMNS = {
    "raw.observations": "loaded_at",
    "quarantine.rejected_records": "rejected_at",
    "audit.ingested_files": "ingested_at",
    "audit.ingested_batches": "ingested_at",
}
COMPARED_TABLES = [
    "raw.observations",
    "quarantine.rejected_records",
    "marts.fct_engagement_results",
    "marts.daily_result_counts",
    "marts.dim_channel_status",
]


def fingerprints(warehouse_path: Path, tables: list[str] = COMPARED_TABLES) -> dict[str, tuple]:
    """Row count and an order-independent digest of every row, per table."""
    con = duckdb.connect(str(warehouse_path), read_only=True)
    try:
        result = {}
        for table in tables:
            exclude = f" exclude ({VOLATILE_COLUMNS[table]})" if table in VOLATILE_COLUMNS else ""
            result[table] = con.execute(
                f"select count(*), md5(coalesce(string_agg(row, '' order by row), '')) "
                f"from (select t::varchar as row from (select *{exclude} from {table}) as t)"
            ).fetchone()
        return result
    finally:
        con.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow tests first: with parallel workers (`make test`), none of them starts last."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
