"""Tiny NYU-layout folders for the reader and ingest tests (stand-ins for the simulators).

`write_nyu_split` writes `{prefix}_1_NNNNNNN.png` frames (depth in mm packed as
R = 0, G = high byte, B = low byte, as the release) and a `joint_data.mat` with
`joint_uvd` / `joint_xyz` of shape (1 kinect, N, 36, 3) and `joint_names`. Each frame
shows a flat "palm" disc and a small disc at every joint, at the joints' depths.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.io
from PIL import Image

from simgan_core.hand.depth_png import pack_depth_rgb
from simgan_core.hand.joints import FRAME_H, FRAME_W, NYU_JOINT_NAMES, PALM_CENTRE, xyz_to_uvd


def pack_depth(depth_mm: np.ndarray) -> Image.Image:
    """(480, 640) depth in mm -> the release's RGB PNG image (R 0, G high, B low byte)."""
    return Image.fromarray(pack_depth_rgb(np.asarray(depth_mm, dtype=np.uint16)))


def random_joints(rng: np.random.Generator, palm_xyz: tuple[float, float, float] = (0, 0, 800)
                  ) -> np.ndarray:
    """(36, 3) joints in mm, y up: the palm centre at palm_xyz, the rest within 100 mm."""
    xyz = np.asarray(palm_xyz, dtype=np.float64) + rng.uniform(-90, 90, (36, 3)) * [1, 1, 0.3]
    xyz[PALM_CENTRE] = palm_xyz
    return xyz


def render_frame(uvd: np.ndarray, background_mm: int) -> np.ndarray:
    """(36, 3) joints (u, v, d) -> (480, 640) uint16 depth: a palm disc, a disc per joint."""
    depth = np.full((FRAME_H, FRAME_W), background_mm, dtype=np.uint16)
    vv, uu = np.mgrid[0:FRAME_H, 0:FRAME_W]
    palm = uvd[PALM_CENTRE]
    for (u, v, d), radius in [(palm, 40)] + [(j, 6) for j in uvd]:
        disc = (uu - u) ** 2 + (vv - v) ** 2 <= radius ** 2
        depth[disc] = np.uint16(round(d))
    return depth


def write_joint_data(path: Path, uvd: np.ndarray, xyz: np.ndarray) -> None:
    """(1, N, 36, 3) arrays -> joint_data.mat (MATLAB v5, as the release)."""
    names = np.empty((1, 36), dtype=object)
    names[0, :] = list(NYU_JOINT_NAMES)
    scipy.io.savemat(str(path), {"joint_uvd": uvd, "joint_xyz": xyz, "joint_names": names})


def write_nyu_split(folder: Path, prefix: str, n: int, seed: int, background_mm: int = 0
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Write n frames + joint_data.mat into folder; returns (uvd, xyz) (1, n, 36, 3)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    xyz = np.stack([random_joints(rng, (rng.uniform(-80, 80), rng.uniform(-60, 60),
                                        rng.uniform(650, 950))) for _ in range(n)])[None]
    uvd = xyz_to_uvd(xyz)
    for i in range(n):
        pack_depth(render_frame(uvd[0, i], background_mm)).save(
            folder / f"{prefix}_1_{i + 1:07d}.png")
    write_joint_data(folder / "joint_data.mat", uvd, xyz)
    return uvd, xyz
