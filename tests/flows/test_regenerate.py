"""The scheduled regeneration: lock, dvc errors, artifacts, and a served deployment run
against a real Prefect server (started here, not the session harness)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from tiny_workspace import stage_env
from typer.testing import CliRunner

from flows.cli import app
from flows.regenerate import DEFAULT_CRON, DEFAULT_TIMEZONE, regenerate_flow
from tasks.dvc_ops import (
    DvcCommandError,
    WorkspaceBusyError,
    dvc_pull,
    dvc_push,
    dvc_repro,
    metric_changes,
    outputs_markdown,
    run_dvc,
    workspace_lock,
)

REPO_ROOT = Path(__file__).resolve().parents[2]

# Make scripts for tests/tiny_workspace.py's `make` stage: one that fails, one that hangs.
FAIL_MARKER = "the-stage-own-error-7f3a"
FAILING = f"""import sys
print("some progress on stdout")
sys.exit("ValueError: {FAIL_MARKER}: calibration file is corrupt")
"""
SLEEPER = """import os, pathlib, time
pathlib.Path("stage.pid").write_text(str(os.getpid()))
time.sleep(60)
"""


# --- the lock -------------------------------------------------------------------------

def test_second_acquisition_fails_at_once_naming_the_holder(tmp_path: Path) -> None:
    with workspace_lock(tmp_path, holder="flow run first-run") as path:
        assert path == tmp_path / ".simgan/regenerate.lock"
        start = time.monotonic()
        with pytest.raises(WorkspaceBusyError) as err, workspace_lock(tmp_path):
            pass
        assert time.monotonic() - start < 2.0  # failed at once, did not wait
        assert "first-run" in str(err.value) and f'"pid": {os.getpid()}' in str(err.value)
    with workspace_lock(tmp_path):  # released on exit
        pass
    assert (tmp_path / ".simgan/regenerate.lock").read_text() == ""


def test_second_acquisition_waits_when_asked(tmp_path: Path) -> None:
    first = workspace_lock(tmp_path)
    first.__enter__()
    timer = threading.Timer(0.5, first.__exit__, args=(None, None, None))
    timer.start()
    start = time.monotonic()
    with workspace_lock(tmp_path, wait_s=10, poll_s=0.05):
        waited = time.monotonic() - start
    timer.join()
    assert waited >= 0.4  # it waited for the release instead of failing


def test_a_busy_workspace_fails_the_flow_before_any_dvc_command(tmp_path: Path) -> None:
    # .fn: the flow body without a Prefect run; the lock is taken before any task runs
    with workspace_lock(tmp_path), pytest.raises(WorkspaceBusyError):
        regenerate_flow.fn(repo_dir=str(tmp_path))


# --- dvc commands ---------------------------------------------------------------------

def test_retries_only_where_a_remote_is_involved() -> None:
    for network_task in (dvc_pull, dvc_push):
        assert network_task.retries == 3
        delays = network_task.retry_delay_seconds
        assert delays == sorted(delays) and delays[0] < delays[-1]  # exponential backoff
    assert dvc_repro.retries == 0


@pytest.mark.slow
def test_a_failing_stage_raises_its_own_error_text(
        tmp_path: Path, tiny_workspace: Callable[..., Path]) -> None:
    ws = tiny_workspace(tmp_path / "ws", None, make_script=FAILING)
    with pytest.raises(DvcCommandError) as err:
        run_dvc(["repro"], ws, 120)
    message = str(err.value)
    assert f"ValueError: {FAIL_MARKER}: calibration file is corrupt" in message
    assert "failed to reproduce 'make': failed to run: python make.py, exited with 1" in message


@pytest.mark.slow
def test_a_timeout_kills_dvc_and_its_stage(
        tmp_path: Path, tiny_workspace: Callable[..., Path]) -> None:
    ws = tiny_workspace(tmp_path / "ws", None, make_script=SLEEPER)
    with pytest.raises(DvcCommandError, match="timed out after 3 s"):
        run_dvc(["repro"], ws, 3)
    pid = int((ws / "stage.pid").read_text())
    deadline = time.monotonic() + 5
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not Path(f"/proc/{pid}").exists()


# --- artifacts ------------------------------------------------------------------------

def test_metric_changes_against_the_previous_run() -> None:
    before = {"m.json": {"score": 6, "gone": 1.0, "ok": True}}
    after = {"m.json": {"score": 10, "new": 0.5, "ok": True}, "n.json": {"x": 1}}
    rows = {(r["file"], r["metric"]): r for r in metric_changes(before, after)}
    assert rows["m.json", "score"] == {"file": "m.json", "metric": "score", "previous": 6,
                                       "current": 10, "change": 4}
    assert rows["m.json", "new"]["previous"] is None and rows["m.json", "new"]["change"] is None
    assert rows["m.json", "gone"]["current"] is None
    assert rows["m.json", "ok"]["change"] is None  # a bool is not a number
    assert rows["n.json", "x"]["current"] == 1


def test_outputs_markdown_links_report_and_indexes(tmp_path: Path) -> None:
    index = tmp_path / "data/gaze/shards/refined/index.json"
    index.parent.mkdir(parents=True)
    index.write_text(json.dumps({"shardlist": [{"url": "a.tar", "nsamples": 4},
                                               {"url": "b.tar", "nsamples": 3}]}))
    text = outputs_markdown(tmp_path, "reports/gaze/index.html",
                            "data/gaze/shards/*/index.json", "local /srv/remote")
    assert "`reports/gaze/index.html` is missing" in text
    assert f"| refined | [data/gaze/shards/refined/index.json]({index.as_uri()}) | 2 | 7 |" in text
    report = tmp_path / "reports/gaze/index.html"
    report.parent.mkdir(parents=True)
    report.write_text("<html></html>")
    assert f"({report.as_uri()})" in outputs_markdown(tmp_path, "reports/gaze/index.html",
                                                     "data/gaze/shards/*/index.json", None)


# --- deployment definitions -----------------------------------------------------------

def _params_schedule() -> tuple[str, str]:
    section = yaml.safe_load((REPO_ROOT / "params.yaml").read_text()).get("regenerate") or {}
    return section.get("cron", DEFAULT_CRON), section.get("timezone", DEFAULT_TIMEZONE)


def test_prefect_yaml_deploys_the_flow_on_the_params_schedule() -> None:
    from prefect.flows import load_flow_from_entrypoint

    spec = yaml.safe_load((REPO_ROOT / "prefect.yaml").read_text())
    (deployment,) = spec["deployments"]
    assert deployment["work_pool"]["name"] == "simgan-process"
    flow = load_flow_from_entrypoint(str(REPO_ROOT / deployment["entrypoint"]))
    assert flow.name == regenerate_flow.name
    (schedule,) = deployment["schedules"]
    assert (schedule["cron"], schedule["timezone"]) == _params_schedule()


@pytest.mark.slow
def test_serve_refuses_without_an_api_url(tmp_path: Path) -> None:
    # a subprocess: in this process a Prefect test harness may already set an API URL
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    proc = subprocess.run(
        [sys.executable, "-m", "flows.cli", "serve", "--params", str(REPO_ROOT / "params.yaml")],
        env=dict(env, PREFECT_HOME=str(tmp_path)), cwd=tmp_path, capture_output=True,
        text=True, timeout=120)
    assert proc.returncode == 2 and "set PREFECT_API_URL" in proc.stderr


def test_serve_refuses_a_bad_schedule() -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    for option in (["--cron", "every day at 3"], ["--timezone", "Mars/Olympus_Mons"]):
        with temporary_settings({PREFECT_API_URL: "http://127.0.0.1:9/api"}):  # never reached
            result = CliRunner().invoke(
                app, ["serve", "--params", str(REPO_ROOT / "params.yaml"), *option])
        assert result.exit_code == 2 and "bad schedule" in result.output, result.output


# --- a served deployment on a real Prefect server ------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(api_url: str, proc: subprocess.Popen, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"prefect server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{api_url}/health", timeout=1) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.25)
    raise RuntimeError(f"no Prefect server on {api_url} after {timeout_s:.0f} s")


def _stop(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """`prefect server start` on a free loopback port, with its own PREFECT_HOME (and so
    its own SQLite database there); yields the environment that points a process at it."""
    home = tmp_path_factory.mktemp("prefect-home")
    api_url = f"http://127.0.0.1:{_free_port()}/api"
    env = dict(stage_env(), PREFECT_HOME=str(home), PREFECT_API_URL=api_url,
               PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_RUNNER_POLL_FREQUENCY="1")
    port = api_url.rsplit(":", 1)[1].split("/")[0]
    log = open(home / "server.log", "wb")  # noqa: SIM115 - the server's output, read on failure
    # no services: this test triggers its runs itself, it does not wait for the scheduler
    server = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
         "--port", port, "--no-services", "--analytics-off", "--no-ui"],
        env={k: v for k, v in env.items() if k != "PREFECT_API_URL"}, stdout=log,
        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        _wait_healthy(api_url, server, 120)
        yield env
    finally:
        _stop(server)
        log.close()


def _read_logs(client: object, flow_run_id: object, until: tuple[str, ...] = (),
               timeout: float = 30.0) -> str:
    """The run's log messages. A run's logs reach the API in batches, also after it ends
    (the runner's log worker), so this polls until every text of `until` is among them or
    `timeout` s have passed, and returns what there is then."""
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    deadline = time.monotonic() + timeout
    while True:
        logs = client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id])))
        text = "\n".join(log.message for log in logs)
        if all(t in text for t in until) or time.monotonic() > deadline:
            return text
        time.sleep(0.5)


@pytest.mark.slow
def test_served_deployment_regenerates_and_publishes(
        prefect_server: dict[str, str], tmp_path: Path,
        tiny_workspace: Callable[..., Path]) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    remote = tmp_path / "remote"  # not created yet: the first pull finds nothing
    ws = tiny_workspace(tmp_path / "ws", remote, value=3)
    run_dvc(["repro"], ws, 120)  # the previous run: score 6
    (ws / "params.yaml").write_text(yaml.safe_dump({"make": {"value": 5}}))  # now: 10

    serve = subprocess.Popen(
        [sys.executable, "-m", "flows.cli", "serve", "--repo-dir", str(ws), "--params",
         str(REPO_ROOT / "params.yaml"), "--name", "test"],
        cwd=tmp_path, env=dict(prefect_server, PYTHONPATH=str(REPO_ROOT)),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        with temporary_settings({PREFECT_API_URL: prefect_server["PREFECT_API_URL"]}), \
                get_client(sync_client=True) as client:
            deadline = time.monotonic() + 90
            while True:
                try:
                    deployment = client.read_deployment_by_name("regenerate/test")
                    break
                except Exception:
                    assert serve.poll() is None, serve.stdout.read().decode()
                    assert time.monotonic() < deadline, "the deployment never appeared"
                    time.sleep(0.5)
            (schedule,) = deployment.schedules
            assert (schedule.schedule.cron, schedule.schedule.timezone) == _params_schedule()
            assert deployment.parameters == {"repo_dir": str(ws)}

            tiny_paths = {"report_file": "reports/index.html",
                          "shard_index_glob": "data/shards/*/index.json"}
            run = run_deployment("regenerate/test", parameters=tiny_paths, timeout=120,
                                 poll_interval=1)
            logs = _read_logs(client, run.id, until=("Running stage 'make'",))
            assert run.state.is_completed(), logs
            artifacts = {a.key: a for a in client.read_artifacts(
                artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(
                    any_=[run.id])))}
            table = artifacts["regenerate-metrics"].data
            rows = json.loads(table) if isinstance(table, str) else table
            assert {"file": "metrics/score.json", "metric": "score", "previous": 6,
                    "current": 10, "change": 4} in rows
            outputs = artifacts["regenerate-outputs"].data
            assert f"[reports/index.html]({(ws / 'reports/index.html').as_uri()})" in outputs
            index = ws / "data/shards/train/index.json"
            assert f"| train | [{index.relative_to(ws)}]({index.as_uri()}) | 1 | 5 |" in outputs
            assert any(p.is_file() for p in remote.rglob("*"))  # pushed
            assert "Running stage 'make'" in logs
    finally:
        _stop(serve, signal.SIGINT)


@pytest.mark.slow
def test_prefect_yaml_deployment_on_a_process_worker_fails_with_the_stage_error(
        prefect_server: dict[str, str], tmp_path: Path,
        tiny_workspace: Callable[..., Path]) -> None:
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    failing = tiny_workspace(tmp_path / "failing", None, make_script=FAILING)

    def prefect(*args: str, cwd: Path = REPO_ROOT) -> None:
        proc = subprocess.run([sys.executable, "-m", "prefect", *args], cwd=cwd,
                              env=prefect_server, timeout=180, capture_output=True, text=True)
        assert proc.returncode == 0, f"prefect {args}:\n{proc.stdout}\n{proc.stderr}"

    prefect("work-pool", "create", "simgan-process", "--type", "process")
    prefect("--no-prompt", "deploy", "--all")  # from the repository root, as the README says
    with temporary_settings({PREFECT_API_URL: prefect_server["PREFECT_API_URL"]}), \
            get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name("regenerate/scheduled")
        assert deployment.work_pool_name == "simgan-process"
        assert deployment.pull_steps == [{"prefect.deployments.steps.set_working_directory": {
            "directory": str(REPO_ROOT)}}]
        (schedule,) = deployment.schedules
        assert (schedule.schedule.cron, schedule.schedule.timezone) == _params_schedule()
        # the run works on the tiny workspace, never on this repository
        run = client.create_flow_run_from_deployment(
            deployment.id, parameters={"repo_dir": str(failing)})
        prefect("worker", "start", "--pool", "simgan-process", "--run-once", "--limit", "1",
                cwd=tmp_path)
        state = client.read_flow_run(run.id).state
        expected = (f"ValueError: {FAIL_MARKER}: calibration file is corrupt",
                    "failed to reproduce 'make'", "has no default DVC remote: no pull, no push")
        logs = _read_logs(client, run.id, until=expected)
    assert state.is_failed(), logs
    for text in expected:
        assert text in logs
