"""Headless Chromium (Debian's `chromium`, installed by .ci/run) for pages and screenshots."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]
ARTIFACTS = Path(__file__).parent / "artifacts"


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    assert path, "Chromium is not installed (apt-get install chromium; .ci/run does it)"
    return path


def _run(url: str, *args: str, timeout: int = 120) -> str:
    with tempfile.TemporaryDirectory() as profile:
        result = subprocess.run(
            [chromium(), *FLAGS, f"--user-data-dir={profile}", *args, url],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def dump_dom(url: str, wait_ms: int = 5000) -> str:
    """The page's DOM after its scripts ran."""
    return _run(url, f"--virtual-time-budget={wait_ms}", "--dump-dom")


def screenshot(url: str, name: str, size: str = "1400,2400", wait_ms: int = 5000) -> Path:
    """Save a screenshot under tests/artifacts/ and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    _run(url, f"--window-size={size}", f"--virtual-time-budget={wait_ms}", f"--screenshot={path}")
    assert path.stat().st_size > 10_000, f"{path} looks empty"
    return path
