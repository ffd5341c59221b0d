"""The hand simulator stages' flows, under the session's Prefect server, on tiny data:
the same bytes as the core simulators, with a process pool of 2 as with 1 worker."""

from __future__ import annotations

import hashlib
from pathlib import Path

from flows.simulate_hands import run as run_simulate_hands
from flows.simulate_real_hands import simulate_real_hands_flow
from simgan_core.hand.nyu_writer import simulate_real_kinect, simulate_synthdepth
from tasks.params_sources import SimulateHands, SimulateRealHands


def _tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_hand_simulator_flows_write_what_the_core_writes(tmp_path: Path, prefect_api: str):
    summary = run_simulate_hands(SimulateHands(out_dir=str(tmp_path / "flow_syn"), n=4, seed=3,
                                               workers=2, dask_address=None))
    assert summary["count"] == summary["train"] == 4 and summary["tasks"] >= 2
    simulate_synthdepth(tmp_path / "core_syn", n=4, seed=3, workers=1)
    assert _tree(tmp_path / "flow_syn") == _tree(tmp_path / "core_syn")

    summary = simulate_real_hands_flow(SimulateRealHands(
        out_dir=str(tmp_path / "flow_real"), n=5, test_fraction=0.4, seed=3, workers=1,
        dask_address=None))
    assert (summary["train"], summary["test"]) == (3, 2)
    simulate_real_kinect(tmp_path / "core_real", n=5, seed=3, test_fraction=0.4, workers=1)
    assert _tree(tmp_path / "flow_real") == _tree(tmp_path / "core_real")
