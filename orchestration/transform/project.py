"""The dbt project (dbt_project.yml at the repository root) and its manifest."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from orchestration.settings import PROJECT_ROOT

PARTIAL_PARSE_FILE = "partial_parse.msgpack"
DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))  # the virtualenv's, not PATH's

dbt_project = DbtProject(project_dir=PROJECT_ROOT, profiles_dir=PROJECT_ROOT / "dbt_project")


def ensure_manifest(project: DbtProject = dbt_project) -> Path:
    """Run `dbt parse` when the manifest is missing or older than any dbt file."""
    manifest = project.manifest_path
    if not manifest.exists() or manifest.stat().st_mtime < _newest_dbt_file(project.project_dir):
        parsed = subprocess.run(
            [
                DBT_EXECUTABLE,
                "parse",
                "--quiet",
                "--project-dir",
                str(project.project_dir),
                "--profiles-dir",
                str(project.profiles_dir),
            ],
            capture_output=True,
            text=True,
        )
        if parsed.returncode != 0:
            raise RuntimeError(f"dbt parse failed:\n{parsed.stdout}{parsed.stderr}")
    return manifest


def keep_parse_state(run_target: Path, project: DbtProject = dbt_project) -> None:
    """Keep a dbt run's parse state as the project's, for the next run's partial parsing.

    dbt parses the whole project again when its profile or the environment variables its
    project file reads differ from the parse state's (another warehouse path, say): from the
    second run in a given environment on, each run then parses only what changed."""
    state = run_target / PARTIAL_PARSE_FILE
    if state.exists():
        kept = project.project_dir / project.target_path / PARTIAL_PARSE_FILE
        staged = kept.with_name(f".{PARTIAL_PARSE_FILE}.{os.getpid()}")
        shutil.copyfile(state, staged)
        os.replace(staged, kept)  # a concurrent run reads the old state or the new, whole


def _newest_dbt_file(root: Path) -> float:
    paths = [root / "dbt_project.yml", *(root / "dbt_project").rglob("*")]
    return max(p.stat().st_mtime for p in paths if p.is_file())
