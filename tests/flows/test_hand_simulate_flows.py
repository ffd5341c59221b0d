"""The hand simulator stages' flows, under the session's Prefect server, on tiny data:
the same bytes as the core simulators, with a process pool of 2 as with 1 worker."""

from __future__ import annotations

import hashlib
from pathlib import Path

from flows.simulate import run, run_simulators
from simgan_core.hand.nyu_writer import simulate_real_kinect, simulate_synthdepth
from tasks.params_sources import SimulateHand, SimulateHands, SimulateRealHands


def _tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_hand_simulator_flows_write_what_the_core_writes(tmp_path: Path, prefect_api: str):
    """The domain's stage (both simulators, a pool of 2) and one simulator alone (1 worker,
    as `simgan simulate real-hands` runs it)."""
    summary = run(SimulateHand(
        workers=2, dask_address=None,
        synthetic=SimulateHands(out_dir=str(tmp_path / "flow_syn"), n=4, seed=3),
        real=SimulateRealHands(out_dir=str(tmp_path / "flow_real"), n=5, test_fraction=0.4,
                               seed=3)), "hand")
    synthetic, real = summary["synthetic"], summary["real"]
    assert synthetic["count"] == synthetic["train"] == 4 and synthetic["tasks"] >= 2
    assert (real["train"], real["test"], real["count"]) == (3, 2, 5)
    simulate_synthdepth(tmp_path / "core_syn", n=4, seed=3, workers=1)
    assert _tree(tmp_path / "flow_syn") == _tree(tmp_path / "core_syn")
    simulate_real_kinect(tmp_path / "core_real", n=5, seed=3, test_fraction=0.4, workers=1)
    assert _tree(tmp_path / "flow_real") == _tree(tmp_path / "core_real")

    alone = run_simulators("hand", {"real": SimulateRealHands(
        out_dir=str(tmp_path / "alone_real"), n=5, test_fraction=0.4, seed=3)}, 1, None)
    assert set(alone) == {"real"}
    assert _tree(tmp_path / "alone_real") == _tree(tmp_path / "core_real")
