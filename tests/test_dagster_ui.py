"""A real `dagster dev` (webserver + daemon): its GraphQL API lists the assets and launches a
materialization that succeeds, and headless Chromium shows the asset graph."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from datetime import date

import pytest

from orchestration.generate import generate
from orchestration.settings import PROJECT_ROOT
from tests.browser import screenshot_app
from tests.conftest import Environment
from tests.test_orchestration import free_port

BATCH = date(2025, 6, 2)
LAUNCH = """
mutation Launch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
  }
}"""


def graphql(port: int, query: str, variables: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        body = json.loads(response.read())
    assert "errors" not in body, body
    return body["data"]


def failures(port: int, run_id: str) -> list[str]:
    events = graphql(
        port,
        f"""{{ logsForRun(runId: "{run_id}") {{ ... on EventConnection {{
        events {{ __typename ... on MessageEvent {{ message }}
                  ... on ExecutionStepFailureEvent {{ error {{ message }} }} }} }} }} }}""",
    )
    return [str(e) for e in events["logsForRun"]["events"] if "Failure" in e["__typename"]]


@pytest.fixture
def dagster_dev(env: Environment, monkeypatch) -> Iterator[int]:
    monkeypatch.setenv("ENGAGEMENT_SERVING_DIR", str(env.root / "serving"))
    generate(env.landing, BATCH, 1, events_per_day=400)  # older than the sensor looks
    port = free_port()
    process = subprocess.Popen(
        [
            str(PROJECT_ROOT / ".venv" / "bin" / "dagster"),
            "dev",
            "-w",
            "workspace.yaml",
            "-p",
            str(port),
        ],
        cwd=PROJECT_ROOT,
        env=dict(os.environ),
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                locations = graphql(
                    port,
                    "{ workspaceOrError { ... on Workspace { "
                    "locationEntries { name loadStatus } } } }",
                )
                if all(
                    e["loadStatus"] == "LOADED"
                    for e in locations["workspaceOrError"]["locationEntries"]
                ):
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "dagster dev did not come up"
            assert process.poll() is None, "dagster dev exited"
            time.sleep(2)
        yield port
    finally:
        # Ctrl-C, as in a terminal: dagster dev and its code servers end in ~3 s (on SIGTERM to
        # the group they were still running after 30 s).
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def test_dagster_dev_lists_the_assets_runs_a_batch_and_shows_the_graph(dagster_dev: int):
    port = dagster_dev
    nodes = graphql(port, "{ assetNodes { assetKey { path } groupName } }")["assetNodes"]
    groups = {"/".join(n["assetKey"]["path"]): n["groupName"] for n in nodes}
    assert groups["ingest/sendgrid"] == "ingest"
    assert groups["marts/daily_result_counts"] == "marts"
    assert groups["serving/report"] == "publish"

    launched = graphql(
        port,
        LAUNCH,
        {
            "params": {
                "selector": {
                    "repositoryLocationName": "engagement",
                    "repositoryName": "__repository__",
                    "jobName": "engagement_batches",
                },
                "runConfigData": {},
                "executionMetadata": {
                    "tags": [{"key": "dagster/partition", "value": "2026-11-01"}]
                },
            }
        },
    )["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]
    deadline = time.monotonic() + 300
    while True:
        status = graphql(
            port, f'{{ runOrError(runId: "{run_id}") {{ ... on Run {{ status }} }} }}'
        )["runOrError"]["status"]
        if status in ("SUCCESS", "FAILURE", "CANCELED"):
            break
        assert time.monotonic() < deadline, f"run still {status}"
        time.sleep(3)
    assert status == "SUCCESS", "\n".join(failures(port, run_id))

    graph = f"http://127.0.0.1:{port}/locations/engagement/asset-groups/marts"
    path, text = screenshot_app(graph, "dagster-asset-graph.png", dismiss="Skip")
    assert "fct_engagement_results" in text and "quarantine_summary" in text
    assert path.stat().st_size > 50_000
