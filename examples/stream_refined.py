"""Stream a shard directory into a training loop: one epoch, no model, just the data.

    python examples/stream_refined.py                       # data/gaze/shards/refined
    python examples/stream_refined.py data/gaze/shards/synthetic --num-workers 2

The three lines a training script needs come first in main(); the rest is argv and printing.
"""

import argparse
from collections.abc import Sequence

from simgan_core.streaming import open_by_key, stream_batches


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("shard_dir", nargs="?", default="data/gaze/shards/refined",
                        help="a directory of *.tar shards with index.json")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--num-workers", type=int, default=0)
    parser.add_argument("--epoch", type=int, default=0, help="reshuffles per epoch")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    count, first = 0, None
    # The three lines: the import above, the loader, the loop.
    loader = stream_batches(args.shard_dir, batch_size=args.batch_size, seed=args.seed,
                            epoch=args.epoch, num_workers=args.num_workers)
    for images, annotations in loader:  # (B, 1, H, W) float32 in [-1, 1]; B JSON dicts
        count += images.shape[0]  # ... your training step on (images, annotations) here
        if first is None:
            first = annotations[0]
            print(f"batch: images {tuple(images.shape)} {images.dtype} "
                  f"in [{images.min().item():.3f}, {images.max().item():.3f}]")
    print(f"epoch {args.epoch}: {count} samples from {args.shard_dir}")
    if first is not None and "gaze" in first:
        gaze = first["gaze"]
        print(f"first sample's gaze: pitch {gaze['pitch']:+.4f} rad, yaw {gaze['yaw']:+.4f} rad")

    # Random access by key, e.g. to look at one sample again.
    with open_by_key(args.shard_dir) as shards:
        key = shards.keys()[0]
        image, annotation = shards.get(key)
        print(f"by key: {key}: image {image.shape} {image.dtype}, "
              f"annotation keys {sorted(annotation)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
