"""`python -m benchmarks [bench_name ...]`: run the benchmarks, print a table, write JSON.

Results go to benchmarks/results/latest.json (git-ignored) with the machine's facts.
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import sys
import time
from pathlib import Path

from flows.offline import set_offline_env

HERE = Path(__file__).resolve().parent


def _meets(row: dict) -> bool:
    """A row's target is a minimum, or a maximum where the row says lower_is_better."""
    target = row.get("target")
    if not target:
        return True
    return row["value"] <= target if row.get("lower_is_better") else row["value"] >= target


def _machine() -> dict:
    import torch

    return {"cpu_cores": len(os.sched_getaffinity(0)), "platform": platform.platform(),
            "python": platform.python_version(), "torch": torch.__version__,
            "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}


def main(argv: list[str]) -> int:
    set_offline_env()
    names = argv or sorted(p.stem for p in HERE.glob("bench_*.py"))
    rows: list[dict] = []
    for name in names:
        module = importlib.import_module(f"benchmarks.{name.removesuffix('.py')}")
        start = time.perf_counter()
        for row in module.run():
            rows.append({"benchmark": name, **row})
        print(f"# {name}: {time.perf_counter() - start:.1f} s", file=sys.stderr)
    print(f"{'figure':44} {'value':>12} {'unit':12} {'target':>10}  ratio  note")
    for r in rows:
        target = r.get("target")
        ratio = f"{r['value'] / target:5.2f}" if target else "    -"
        shown = "-" if target is None else f"<= {target}" if r.get("lower_is_better") else target
        print(f"{r['figure']:44} {r['value']:12.4g} {r['unit']:12} "
              f"{shown:>10}  {ratio}  {r.get('note', '')}")
    out = HERE / "results" / "latest.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"machine": _machine(), "rows": rows}, indent=2) + "\n")
    print(f"wrote {out}", file=sys.stderr)
    failed = [r["figure"] for r in rows if not _meets(r)]
    if failed:
        print(f"below target: {', '.join(failed)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
