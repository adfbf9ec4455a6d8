"""The dbt project on its own: it builds standalone, and its unit tests pass."""

from __future__ import annotations

import subprocess

from orchestration import warehouse
from orchestration.settings import PROJECT_ROOT
from orchestration.transform.project import DBT_EXECUTABLE


def dbt(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [DBT_EXECUTABLE, *args, "--profiles-dir", str(PROJECT_ROOT / "dbt_project")],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_unit_tests_pass_on_an_empty_warehouse(tmp_path):
    path = tmp_path / "w.duckdb"
    with warehouse.writer(path):
        pass  # the ingest tables dbt reads from
    env = {"ENGAGEMENT_WAREHOUSE": str(path), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    built = dbt("build", "--empty", "--exclude-resource-type", "unit_test", env=env)
    assert built.returncode == 0, built.stdout
    tested = dbt("test", "--select", "test_type:unit", env=env)
    assert tested.returncode == 0, tested.stdout
    assert "PASS=5" in tested.stdout
