"""The dbt project on its own: it builds standalone, and its unit tests pass."""

from __future__ import annotations

import shutil
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
    passed = [line for line in tested.stdout.splitlines() if " PASS " in line and "::" in line]
    assert len(passed) == 4, tested.stdout  # every unit test (model::test) ran and passed


def test_a_contract_fails_the_build_when_a_mart_drifts(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(PROJECT_ROOT / "dbt_project", project / "dbt_project")
    shutil.copy(PROJECT_ROOT / "dbt_project.yml", project / "dbt_project.yml")
    model = project / "dbt_project" / "models" / "marts" / "daily_result_counts.sql"
    model.write_text(
        model.read_text().replace(
            "count(distinct message_key) as unique_count", "count(distinct message_key) as messages"
        )
    )
    path = tmp_path / "w.duckdb"
    with warehouse.writer(path):
        pass
    env = {"ENGAGEMENT_WAREHOUSE": str(path), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    built = subprocess.run(
        [
            DBT_EXECUTABLE,
            "build",
            "--exclude-resource-type",
            "unit_test",
            "--select",
            "+daily_result_counts",
            "--project-dir",
            str(project),
            "--profiles-dir",
            str(project / "dbt_project"),
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode != 0
    assert "contract" in built.stdout.lower() and "unique_count" in built.stdout


def test_docs_generate(tmp_path):
    path = tmp_path / "w.duckdb"
    with warehouse.writer(path):
        pass
    env = {"ENGAGEMENT_WAREHOUSE": str(path), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    assert dbt("build", "--empty", "--exclude-resource-type", "unit_test", env=env).returncode == 0
    generated = dbt("docs", "generate", "--target-path", str(tmp_path / "docs"), env=env)
    assert generated.returncode == 0, generated.stdout
    catalog = (tmp_path / "docs" / "catalog.json").read_text()
    assert "daily_result_counts" in catalog and "Distinct messages" in catalog
