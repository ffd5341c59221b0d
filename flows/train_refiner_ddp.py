"""Stage `train_refiner_<domain>` on several GPUs (or CPU processes): DistributedDataParallel.

    torchrun --nproc_per_node 4 -m flows.train_refiner_ddp --domain gaze
    torchrun --nnodes 2 --nproc_per_node 8 --rdzv-backend c10d \\
        --rdzv-endpoint head:29400 -m flows.train_refiner_ddp --domain gaze

torchrun starts one copy of this module per rank. Each trains on its own seeded sample
stream with gradients averaged over the ranks (tasks/train_refiner.run_training with a
RankInfo; simgan_core/refiner/distributed.py); rank 0 writes the checkpoints, the model,
the curves, then the stage's metrics and sample grid (evaluate_refiner), so the
stage's outputs are all there: `dvc commit train_refiner_<domain>` records them and
`dvc repro` goes on from there. Plain processes, no Prefect flow: one flow run per rank
would be N runs of one job. Backend: NCCL on GPUs, gloo on the CPU.
"""

from __future__ import annotations

import argparse
import json
import sys

import torch.distributed as dist

from simgan_core.domain import get_domain
from simgan_core.refiner.distributed import RankInfo, init_process_group, shutdown
from tasks.evaluate_refiner import evaluate_refiner
from tasks.params import load_params
from tasks.params_file import ParamsError
from tasks.train_refiner import run_training


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m flows.train_refiner_ddp",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--params", default="params.yaml", help="the params file")
    parser.add_argument("--domain", default="gaze", help="gaze | hand")
    parser.add_argument("--no-evaluate", action="store_true",
                        help="train only: no metrics file, no sample grid")
    args = parser.parse_args(argv)
    try:
        cfg = load_params(args.params).stage_config("train_refiner", args.domain)
    except (ParamsError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    info = RankInfo.from_env()

    def log(fmt: str, *values: object) -> None:  # rank 0's only: run_training mutes the rest
        print(f"[rank 0/{info.world_size}] " + fmt % values, flush=True)

    init_process_group(info)
    try:
        summary = run_training(cfg, get_domain(args.domain), log, ddp=info)
        dist.barrier()  # every rank done before rank 0 reads the model file back
        if info.is_main and not args.no_evaluate:
            metrics = evaluate_refiner.fn(cfg, summary, args.domain)
            print(json.dumps(metrics, sort_keys=True), flush=True)
    finally:
        shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
