"""The shared local Prefect server: started once, reused by later stages, stoppable."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flows.local_server import _healthy, _read_state, ensure_prefect_api, stop_server

REPO_ROOT = Path(__file__).resolve().parents[2]
PROBE = "from flows.local_server import ensure_prefect_api as e; print(e())"


def test_given_api_url_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    assert ensure_prefect_api(tmp_path) == "http://127.0.0.1:9/api"
    assert not (tmp_path / "server.json").exists()  # nothing started


def test_ephemeral_opt_out(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setenv("SIMGAN_PREFECT_SERVER", "ephemeral")
    assert ensure_prefect_api(tmp_path) == "ephemeral"
    assert "PREFECT_API_URL" not in os.environ


@pytest.mark.slow
def test_started_once_then_reused_then_stopped(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(PYTHONPATH=str(REPO_ROOT), SIMGAN_PREFECT_SERVER="shared")

    def probe() -> tuple[str, float]:
        start = time.monotonic()
        out = subprocess.run([sys.executable, "-c", PROBE], cwd=tmp_path, env=env,
                             capture_output=True, text=True, timeout=180, check=True)
        return out.stdout.strip(), time.monotonic() - start

    state_dir = tmp_path / ".simgan/prefect"
    try:
        url, _ = probe()
        assert url.startswith("http://127.0.0.1:") and _healthy(url)
        again, _ = probe()
        assert again == url  # the second stage reuses the first one's server
        assert _read_state(state_dir)["api_url"] == url
    finally:
        assert stop_server(state_dir)
    deadline = time.monotonic() + 30
    while _healthy(url) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not _healthy(url)
