"""Headless Chromium (Debian's `chromium`, installed by .ci/run) for pages and screenshots."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import websockets.sync.client

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
        browser = subprocess.Popen(
            [chromium(), *FLAGS, f"--user-data-dir={profile}", *args, url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            stdout, stderr = browser.communicate(timeout=timeout)
        finally:
            _stop(browser)
    assert browser.returncode == 0, stderr[-2000:]
    return stdout


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


def screenshot_app(
    url: str, name: str, *, dismiss: str, wait_s: float = 15, width: int = 1600, height: int = 1000
) -> tuple[Path, str]:
    """Screenshot a single-page app over the DevTools protocol, after clicking away the dialog
    whose button reads `dismiss`; returns the path and the page's text."""
    port = _free_port()
    with tempfile.TemporaryDirectory() as profile:
        browser = subprocess.Popen(
            [
                chromium(),
                *FLAGS,
                f"--user-data-dir={profile}",
                f"--remote-debugging-port={port}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            page = _page_socket(port)
            with websockets.sync.client.connect(page, max_size=2**26) as socket:
                calls = iter(range(1, 1_000_000))

                def call(method: str, **params: object) -> dict:
                    ident = next(calls)
                    socket.send(json.dumps({"id": ident, "method": method, "params": params}))
                    while True:
                        message = json.loads(socket.recv(timeout=60))
                        if message.get("id") == ident:
                            return message.get("result", {})

                call("Page.navigate", url=url)
                time.sleep(wait_s)
                call(
                    "Runtime.evaluate",
                    expression=(
                        "[...document.querySelectorAll('button')]"
                        f".find(b => b.textContent.trim() === {json.dumps(dismiss)})?.click()"
                    ),
                )
                time.sleep(2)
                text = call(
                    "Runtime.evaluate", expression="document.body.innerText", returnByValue=True
                )["result"]["value"]
                shot = call("Page.captureScreenshot", format="png")
        finally:
            _stop(browser)
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    path.write_bytes(base64.b64decode(shot["data"]))
    return path, text


def _stop(browser: subprocess.Popen) -> None:
    """End Chromium and every helper process it started, so that none still writes into the
    profile directory while it is removed (SIGTERM lets the browser close its children)."""
    browser.terminate()
    try:
        browser.wait(timeout=30)
    except subprocess.TimeoutExpired:
        browser.kill()
        browser.wait()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(browser.pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while _group_alive(browser.pid) and time.monotonic() < deadline:
        time.sleep(0.1)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _page_socket(port: int) -> str:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as r:
                pages = [t for t in json.loads(r.read()) if t["type"] == "page"]
            if pages:
                return pages[0]["webSocketDebuggerUrl"]
        except OSError:
            pass
        assert time.monotonic() < deadline, "Chromium's DevTools did not answer"
        time.sleep(0.5)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
