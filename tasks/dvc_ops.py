"""DVC commands for the scheduled regeneration, the workspace lock, the run's artifacts.

Every dvc call is an argv list, `python -m dvc ARGS`, run in the workspace with a
timeout: no shell, and nothing read from a configuration file reaches one. On a
timeout dvc is killed with every stage process it started (its own process group).
A failure raises `DvcCommandError` whose message is the tail of dvc's stderr: a
failing stage's own error text (and dvc's "failed to reproduce" line) is what the
flow's log shows. `run_git` runs git the same way (GitCommandError).

One dvc command at a time per workspace: `workspace_lock` is an flock on
`.simgan/regenerate.lock`, held by the regenerate flow for its whole run.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.tasks import exponential_backoff

LOCK_FILE = Path(".simgan/regenerate.lock")
TAIL_CHARS = 4000
LOG_LINES = 30
LIVE_TAIL_LINES = 200  # what a live command's error keeps of its output
# pull and push talk to a remote: retried 3 times, 10 s, 20 s, 40 s apart (+-50 %)
NETWORK_RETRIES = dict(retries=3, retry_delay_seconds=exponential_backoff(backoff_factor=10),
                       retry_jitter_factor=0.5)


class CommandError(RuntimeError):
    """A dvc or git command failed or timed out; the message ends with its output's tail."""

    def __init__(self, message: str, tail: str = "") -> None:
        super().__init__(message)  # one positional argument: the error pickles
        self.tail = tail

    @classmethod
    def of(cls, argv: list[str], detail: str, tail: str) -> CommandError:
        return cls(f"`{' '.join(argv)}` {detail}:\n{tail}", tail)


class DvcCommandError(CommandError):
    """A dvc command failed or timed out."""


class GitCommandError(CommandError):
    """A git command failed or timed out."""


class WorkspaceBusyError(RuntimeError):
    """Another regeneration holds the workspace lock."""


def _tail(text: str, n_chars: int = TAIL_CHARS) -> str:
    """The last n_chars of text, cut at a line start."""
    text = text.strip()
    if len(text) <= n_chars:
        return text
    cut = text[-n_chars:]
    return "..." + cut[cut.find("\n"):] if "\n" in cut else "..." + cut


def _kill_group(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


def _echo_lines(stream: IO[str], keep: deque[str]) -> None:
    """Copy a child's merged output to ours line by line, keeping its last lines."""
    for line in stream:
        sys.stdout.write(line)
        sys.stdout.flush()
        keep.append(line)


def _run(argv: list[str], shown: list[str], repo_dir: Path, timeout_s: float | None,
         live: bool, error: type[CommandError]) -> str:
    """Run argv in repo_dir in its own process group (a timeout or an interrupt kills it
    and every process it started); return stdout, raise `error` on failure.

    live: the output (stdout and stderr merged) is shown as it comes, for a person
    watching a long command; the error then carries its last lines. shown: the argv as
    the error message names it.
    """
    env = dict(os.environ)
    env.setdefault("DVC_NO_ANALYTICS", "1")
    proc = subprocess.Popen(
        argv, cwd=repo_dir, env=env, text=True, errors="replace", stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT if live else subprocess.PIPE,
        start_new_session=True)
    last: deque[str] = deque(maxlen=LIVE_TAIL_LINES)
    echo = threading.Thread(target=_echo_lines, args=(proc.stdout, last), daemon=True)
    try:
        if live:
            echo.start()
            proc.wait(timeout=timeout_s)
            echo.join()
            out = err = "".join(last)
        else:
            out, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        if live:
            proc.wait()
            echo.join()
            err = "".join(last)
        else:
            _, err = proc.communicate()
        raise error.of(shown, f"timed out after {timeout_s:.0f} s", _tail(err)) from None
    except BaseException:  # cancelled, interrupted: leave no child behind
        _kill_group(proc)
        proc.wait()
        raise
    if proc.returncode != 0:
        raise error.of(shown, f"failed (exit {proc.returncode})", _tail(err or out))
    return out


def run_dvc(args: list[str], repo_dir: Path, timeout_s: float | None,
            live: bool = False) -> str:
    """Run `dvc ARGS` in repo_dir (this interpreter's dvc); return its stdout, raise
    DvcCommandError on failure. live: show its output as it comes (see _run)."""
    return _run([sys.executable, "-m", "dvc", *args], ["dvc", *args], repo_dir, timeout_s,
                live, DvcCommandError)


def run_git(args: list[str], repo_dir: Path, timeout_s: float = 60.0) -> str:
    """Run `git ARGS` in repo_dir; return its stdout, raise GitCommandError on failure."""
    return _run(["git", *args], ["git", *args], repo_dir, timeout_s, False, GitCommandError)


@contextlib.contextmanager
def workspace_lock(repo_dir: Path, wait_s: float = 0.0, holder: str = "",
                   poll_s: float = 0.5) -> Iterator[Path]:
    """Hold an exclusive flock on repo_dir/.simgan/regenerate.lock for the `with` body.

    Held elsewhere: wait up to wait_s seconds (0: not at all), then raise
    WorkspaceBusyError naming the holder (pid, host, since, flow run). The kernel
    drops the lock when its holder exits, so a killed run never leaves it stale.
    """
    path = repo_dir / LOCK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:  # "a+": never truncate a file another process holds
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    held_by = path.read_text().strip() or "unknown"
                    raise WorkspaceBusyError(
                        f"another regeneration is running in {repo_dir} (lock {path} held by "
                        f"{held_by}); waited {wait_s:.0f} s. Try again when it has finished."
                    ) from None
                time.sleep(poll_s)
        fh.seek(0)
        fh.truncate()
        fh.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "holder": holder,
                             "since": datetime.datetime.now(datetime.UTC).isoformat()}) + "\n")
        fh.flush()
        try:
            yield path
        finally:
            fh.truncate(0)


def _log_tail(name: str, out: str) -> None:
    lines = out.strip().splitlines()
    get_run_logger().info("dvc %s:\n%s", name, "\n".join(lines[-LOG_LINES:]) or "(no output)")


def _run_logged(args: list[str], repo_dir: str, timeout_s: float) -> str:
    try:
        out = run_dvc(args, Path(repo_dir), timeout_s)
    except DvcCommandError as err:
        get_run_logger().error("%s", err)
        raise
    _log_tail(args[0], out)
    return out


@task(name="dvc-default-remote", cache_policy=NO_CACHE)
def default_remote(repo_dir: str, timeout_s: float = 120.0) -> str | None:
    """The default remote as "name url", or None when the workspace has none."""
    for line in run_dvc(["remote", "list"], Path(repo_dir), timeout_s).splitlines():
        fields = line.split()
        if fields and fields[-1] == "(default)":
            return " ".join(fields[:-1])
    return None


@task(name="dvc-pull", cache_policy=NO_CACHE, **NETWORK_RETRIES)
def dvc_pull(repo_dir: str, timeout_s: float) -> str:
    """`dvc pull --allow-missing`: what the remote has comes down; what it lacks (an empty
    remote, a local remote folder not made yet, a first run) is left for `dvc repro`."""
    return _run_logged(["pull", "--allow-missing"], repo_dir, timeout_s)


@task(name="dvc-repro", cache_policy=NO_CACHE, retries=0)
def dvc_repro(repo_dir: str, timeout_s: float) -> str:
    """`dvc repro`: never retried (a failing stage fails the same way again)."""
    return _run_logged(["repro"], repo_dir, timeout_s)


@task(name="dvc-push", cache_policy=NO_CACHE, **NETWORK_RETRIES)
def dvc_push(repo_dir: str, timeout_s: float) -> str:
    return _run_logged(["push"], repo_dir, timeout_s)


def _flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(data, dict):
        flat: dict[str, Any] = {}
        for key, value in data.items():
            flat.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    return {prefix: json.dumps(data) if isinstance(data, list) else data}


@task(name="dvc-metrics", cache_policy=NO_CACHE)
def dvc_metrics(repo_dir: str, timeout_s: float = 300.0) -> dict[str, dict[str, Any]]:
    """`dvc metrics show --json` of the workspace: {file: {dotted.key: value}}; a metrics
    file that does not exist yet is left out."""
    out = run_dvc(["metrics", "show", "--json"], Path(repo_dir), timeout_s).strip()
    # {revision: {"data": {file: {"data": {...}} or {"error": ...}}}}; the one revision
    # shown, the workspace, is keyed "" by dvc 3.67 ("workspace" by some versions)
    revisions = json.loads(out) if out else {}
    files = (next(iter(revisions.values()), None) or {}).get("data") or {}
    return {path: _flatten(result["data"]) for path, result in sorted(files.items())
            if isinstance(result, dict) and "data" in result}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def metric_changes(before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]]
                   ) -> list[dict[str, Any]]:
    """One row per metric: file, metric, previous, current, change (numbers only)."""
    rows = []
    for path in sorted(set(before) | set(after)):
        old, new = before.get(path, {}), after.get(path, {})
        for key in sorted(set(old) | set(new)):
            prev, cur = old.get(key), new.get(key)
            change = round(cur - prev, 10) if _is_number(prev) and _is_number(cur) else None
            rows.append({"file": path, "metric": key, "previous": prev, "current": cur,
                         "change": change})
    return rows


def outputs_markdown(repo: Path, report_file: str, shard_index_glob: str,
                     remote: str | None) -> str:
    """Markdown: where the report and the shard indexes are, with shard and sample counts."""
    report = repo / report_file
    lines = ["# Regenerated outputs", "", f"Workspace: `{repo}`", "",
             f"DVC remote: `{remote}`" if remote else "DVC remote: none configured (not pushed)",
             ""]
    lines.append(f"Report: [{report_file}]({report.as_uri()})" if report.is_file()
                 else f"Report: `{report_file}` is missing")
    lines += ["", "| shard set | index | shards | samples |", "|---|---|---|---|"]
    for index in sorted(repo.glob(shard_index_glob)):
        shardlist = json.loads(index.read_text()).get("shardlist", [])
        rel = index.relative_to(repo).as_posix()
        lines.append(f"| {index.parent.name} | [{rel}]({index.as_uri()}) | {len(shardlist)} "
                     f"| {sum(int(s.get('nsamples', 0)) for s in shardlist)} |")
    return "\n".join(lines) + "\n"


@task(name="publish-regeneration", cache_policy=NO_CACHE)
def publish_regeneration(repo_dir: str, before: dict, after: dict, report_file: str,
                         shard_index_glob: str, remote: str | None) -> dict[str, Any]:
    """Two artifacts: `regenerate-metrics` (table: each metric, previous, current, change)
    and `regenerate-outputs` (markdown: links to the report and the shard indexes)."""
    rows = metric_changes(before, after)
    changed = [r for r in rows if r["previous"] != r["current"]]
    create_table_artifact(
        key="regenerate-metrics",
        table=rows or [{"file": "(no metrics)", "metric": "", "previous": None,
                        "current": None, "change": None}],
        description=f"Metrics after `dvc repro`, against the workspace's metrics before it "
                    f"(the previous run): {len(changed)} of {len(rows)} changed",
    )
    create_markdown_artifact(
        key="regenerate-outputs",
        markdown=outputs_markdown(Path(repo_dir), report_file, shard_index_glob, remote),
        description="The report and the shard indexes this run regenerated",
    )
    summary = {"metrics": len(rows), "changed": len(changed), "remote": remote}
    get_run_logger().info("regenerate: %s", json.dumps(summary))
    return summary
