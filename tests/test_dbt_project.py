"""The dbt project on its own: it builds standalone, and its unit tests pass."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

from orchestration import warehouse
from orchestration.settings import PROJECT_ROOT
from orchestration.transform.project import DBT_EXECUTABLE


def dbt(
    *args: str, env: dict[str, str], project: Path = PROJECT_ROOT
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            DBT_EXECUTABLE,
            *args,
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


def test_an_empty_warehouse_builds_without_a_warning_and_the_unit_tests_pass(tmp_path):
    env = empty_warehouse(tmp_path)
    built = dbt(
        "build", "--empty", "--exclude-resource-type", "unit_test", "--log-format", "json", env=env
    )
    assert built.returncode == 0, built.stdout
    events = [json.loads(line)["info"] for line in built.stdout.splitlines()]
    assert [e["msg"] for e in events if e["level"] == "warn"] == []
    tested = dbt("test", "--select", "test_type:unit", env=env)
    assert tested.returncode == 0, tested.stdout
    passed = [line for line in tested.stdout.splitlines() if " PASS " in line and "::" in line]
    assert len(passed) == 6, tested.stdout  # every unit test (model::test) ran and passed


def test_a_contract_fails_the_build_when_a_mart_drifts(tmp_path):
    project = copied_project(tmp_path)
    model = project / "dbt_project" / "models" / "marts" / "daily_result_counts.sql"
    model.write_text(
        model.read_text().replace(
            "count(distinct message_key) as unique_count", "count(distinct message_key) as messages"
        )
    )
    built = dbt(
        "build",
        "--exclude-resource-type",
        "unit_test",
        "--select",
        "+daily_result_counts",
        env=empty_warehouse(tmp_path),
        project=project,
    )
    assert built.returncode != 0
    assert "contract" in built.stdout.lower() and "unique_count" in built.stdout


def test_incremental_rows_are_a_temp_view_unless_the_model_reads_its_own_table(tmp_path):
    """macros/incremental_temp_view.sql: a view is computed after the delete, a table before it."""
    project = copied_project(tmp_path)
    model = project / "dbt_project" / "models" / "marts" / "quarantine_summary.sql"
    model.write_text(model.read_text() + "\n-- as if it read {{ this }}\n")
    env = empty_warehouse(tmp_path)
    selected = ["--select", "+quarantine_summary +daily_message_counts"]
    for _ in range(2):  # the first build creates the tables, the second is incremental
        built = dbt(
            "build",
            *("--exclude-resource-type", "unit_test", "--exclude-resource-type", "test"),
            *selected,
            "--log-path",
            str(tmp_path / "logs"),
            env=env,
            project=project,
        )
        assert built.returncode == 0, built.stdout
    log = (tmp_path / "logs" / "dbt.log").read_text()
    made = {
        model: kind
        for kind, model in re.findall(r'create temporary (view|table)\s+"(\w+?)__dbt_tmp', log)
    }
    assert made == {
        "quarantine_summary": "table",
        "fct_engagement_results": "view",  # a parent of daily_message_counts
        "daily_message_counts": "view",
    }, made


def copied_project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    shutil.copytree(PROJECT_ROOT / "dbt_project", project / "dbt_project")
    shutil.copy(PROJECT_ROOT / "dbt_project.yml", project / "dbt_project.yml")
    return project


def empty_warehouse(tmp_path: Path) -> dict[str, str]:
    """The environment of dbt on a new warehouse (the ingest tables in place, empty)."""
    path = tmp_path / "w.duckdb"
    with warehouse.writer(path):
        pass
    return {"ENGAGEMENT_WAREHOUSE": str(path), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}


def test_docs_generate(tmp_path):
    env = empty_warehouse(tmp_path)
    assert dbt("build", "--empty", "--exclude-resource-type", "unit_test", env=env).returncode == 0
    generated = dbt("docs", "generate", "--target-path", str(tmp_path / "docs"), env=env)
    assert generated.returncode == 0, generated.stdout
    catalog = (tmp_path / "docs" / "catalog.json").read_text()
    assert "daily_result_counts" in catalog and "Distinct messages" in catalog
