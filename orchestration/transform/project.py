"""The dbt project (dbt_project.yml at the repository root) and its manifest."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from orchestration.settings import PROJECT_ROOT

PARTIAL_PARSE_FILE = "partial_parse.msgpack"
KEPT_STATES = 16  # parse states kept, one per deployment (~1 MB each)
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


def run_target(run_id: str, project: DbtProject = dbt_project) -> Path:
    """The target folder of a run's dbt build (its artifacts and log; removed after the run)."""
    return project.project_dir / project.target_path / f"engagement_dbt-{run_id}"


def deployment(engine: str, warehouse: Path) -> str:
    """What a dbt parse state is kept for: the engine's target and the warehouse file."""
    return f"{engine} {warehouse.resolve()}"


def start_from_parse_state(
    target: Path, deployment: str, project: DbtProject = dbt_project
) -> None:
    """Start a dbt run in `target` from the parse state its deployment's last run kept.

    dbt parses the whole project again (~5 s) when its connection (the warehouse path) or its
    vars differ from its parse state's. One state per deployment (engine and warehouse) keeps
    partial parsing for each, however runs of several deployments interleave (the tests').
    Without one, dagster-dbt starts from `dbt parse`'s (the default deployment's)."""
    try:
        state = _parse_state(deployment, project)
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(state, target / PARTIAL_PARSE_FILE)
    except FileNotFoundError:  # never kept, or pruned since
        return


def keep_parse_state(target: Path, deployment: str, project: DbtProject = dbt_project) -> None:
    """Keep a dbt run's parse state as its deployment's (the most recent states only)."""
    state = target / PARTIAL_PARSE_FILE
    if state.exists():
        kept = _parse_state(deployment, project)
        kept.parent.mkdir(parents=True, exist_ok=True)
        staged = kept.with_name(f".{kept.name}.{os.getpid()}")
        shutil.copyfile(state, staged)
        os.replace(staged, kept)  # a concurrent run reads the old state or the new, whole
        for old in sorted(kept.parent.glob("*.msgpack"), key=_mtime, reverse=True)[KEPT_STATES:]:
            old.unlink(missing_ok=True)


def _parse_state(deployment: str, project: DbtProject) -> Path:
    name = hashlib.sha256(deployment.encode()).hexdigest()[:16]
    return project.project_dir / project.target_path / "parse_states" / f"{name}.msgpack"


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:  # pruned by a concurrent run
        return 0.0


def _newest_dbt_file(root: Path) -> float:
    paths = [root / "dbt_project.yml", *(root / "dbt_project").rglob("*")]
    return max(p.stat().st_mtime for p in paths if p.is_file())
