"""One local Prefect server per workspace, shared by every stage of a `dvc repro`.

Without PREFECT_API_URL, Prefect starts a temporary server inside every process
that runs a flow (11-16 s here, 26 s on a fresh PREFECT_HOME). A `dvc repro` runs one
process per stage, so it would pay that once per stage. Instead, the first stage
starts `prefect server start` on a free loopback port under a small supervisor
(`python -m flows.local_server`), records its URL in `.simgan/prefect/server.json`,
and every later stage reuses it (a health check, ~0.1 s). The supervisor stops the
server after `SIMGAN_PREFECT_IDLE_S` seconds (default 900) with no stage running.

Precedence: an exported PREFECT_API_URL is used as is (a real server, Prefect
Cloud, a test harness); SIMGAN_PREFECT_SERVER=ephemeral keeps Prefect's own
per-process server; otherwise the shared local server.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

STATE_DIR = Path(".simgan/prefect")
START_TIMEOUT_S = 120.0


def _healthy(api_url: str, timeout_s: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=timeout_s) as resp:
            return resp.status == 200
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def _locked(state_dir: Path) -> Iterator[None]:
    """Serialise check-and-start between processes that start at the same time."""
    state_dir.mkdir(parents=True, exist_ok=True)
    with open(state_dir / "lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _read_state(state_dir: Path) -> dict | None:
    try:
        return json.loads((state_dir / "server.json").read_text())
    except (OSError, ValueError):
        return None


def _register_client(state_dir: Path) -> None:
    """Mark this process as a user of the server (the supervisor waits for it)."""
    clients = state_dir / "clients"
    clients.mkdir(parents=True, exist_ok=True)
    (clients / str(os.getpid())).touch()


def _start_supervisor(state_dir: Path) -> str:
    port = _free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    log = open(state_dir / "server.log", "ab")  # noqa: SIM115 - handed to the child
    subprocess.Popen(
        [sys.executable, "-m", "flows.local_server", "--state-dir", str(state_dir),
         "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True,  # survives the stage that started it
        cwd=os.getcwd(),
    )
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        # Ready once the supervisor has recorded it: the next stage then finds it.
        if (_read_state(state_dir) or {}).get("api_url") == api_url and _healthy(api_url):
            return api_url
        time.sleep(0.25)
    raise RuntimeError(
        f"the local Prefect server did not answer on {api_url} within {START_TIMEOUT_S:.0f} s; "
        f"see {state_dir / 'server.log'}"
    )


def ensure_prefect_api(state_dir: Path = STATE_DIR) -> str:
    """Point this process at a Prefect API (before `import prefect`); return its URL or mode."""
    given = os.environ.get("PREFECT_API_URL")
    if given:
        return given
    if os.environ.get("SIMGAN_PREFECT_SERVER", "shared") == "ephemeral":
        return "ephemeral"
    state_dir = state_dir.resolve()
    with _locked(state_dir):
        state = _read_state(state_dir)
        # A generous timeout: a busy 2-core machine can be slow to answer.
        if state and _pid_alive(int(state["supervisor_pid"])) and _healthy(
                state["api_url"], timeout_s=10.0):
            api_url = state["api_url"]
        else:
            api_url = _start_supervisor(state_dir)
        _register_client(state_dir)
    os.environ["PREFECT_API_URL"] = api_url
    return api_url


def running_server(state_dir: Path = STATE_DIR) -> dict | None:
    """The shared server's state ({"api_url", "supervisor_pid", ...}) if it answers."""
    state = _read_state(state_dir.resolve())
    return state if state and _healthy(state["api_url"]) else None


def stop_server(state_dir: Path = STATE_DIR) -> bool:
    """Stop the shared server if one runs; True when one was stopped."""
    state = _read_state(state_dir.resolve())
    if not state or not _pid_alive(int(state["supervisor_pid"])):
        return False
    os.kill(int(state["supervisor_pid"]), signal.SIGTERM)
    return True


def _supervise(state_dir: Path, port: int, idle_s: float) -> None:
    """Run the server; stop it once no client process has been alive for idle_s seconds."""
    env = dict(os.environ, PREFECT_HOME=str(state_dir / "home"))
    server = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
         "--port", str(port), "--analytics-off", "--no-ui", "--no-services"],
        env=env, stdin=subprocess.DEVNULL,
    )
    api_url = f"http://127.0.0.1:{port}/api"
    stopping = False

    def _stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    while not stopping and server.poll() is None and not _healthy(api_url):
        time.sleep(0.25)
    state = {"api_url": api_url, "supervisor_pid": os.getpid(), "server_pid": server.pid}
    tmp = state_dir / f".server.json.tmp-{os.getpid()}"
    tmp.write_text(json.dumps(state))
    os.replace(tmp, state_dir / "server.json")
    idle_since = time.monotonic()
    clients = state_dir / "clients"
    while not stopping and server.poll() is None:
        alive = False
        for entry in clients.glob("*") if clients.exists() else []:
            if entry.name.isdigit() and _pid_alive(int(entry.name)):
                alive = True
            else:
                entry.unlink(missing_ok=True)
        if alive:
            idle_since = time.monotonic()
        elif time.monotonic() - idle_since > idle_s:
            break
        time.sleep(2.0)
    with contextlib.suppress(FileNotFoundError):
        if (_read_state(state_dir) or {}).get("supervisor_pid") == os.getpid():
            (state_dir / "server.json").unlink()
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--idle-s", type=float,
                        default=float(os.environ.get("SIMGAN_PREFECT_IDLE_S", "900")))
    args = parser.parse_args()
    _supervise(args.state_dir, args.port, args.idle_s)


if __name__ == "__main__":
    main()
