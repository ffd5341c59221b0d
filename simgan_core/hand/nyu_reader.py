"""Read the NYU hand pose layout (Tompson et al. 2014), as the public release ships it.

A split folder (`train/`, `test/`) holds `{prefix}_{K}_{NNNNNNN}.png` frames (prefix
`depth` = real Kinect, `synthdepth` = the fitted model's render; K = kinect 1..3; N a
1-based file number) and one `joint_data.mat`. Quirks handled here (each tested on the
release's own files in tests/core/test_nyu_reader.py):

- depth PNGs are 8-bit RGB with depth in mm = G * 256 + B (R is 0); 0 = no reading;
- `joint_uvd` / `joint_xyz` have shape (kinects, N, 36, 3); frame i of the arrays is
  file number i + 1; the simulators here may write a single kinect;
- joints are in NYU's 36-joint order (simgan_core/hand/joints.py).

Problems raise `FormatError` whose message names the file and the problem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.io
from PIL import Image

from simgan_core.hand.depth_png import unpack_depth_rgb
from simgan_core.hand.joints import FRAME_H, FRAME_W, NYU_JOINT_NAMES
from simgan_core.ingest_records import EmptySourceError, FormatError
from simgan_core.matfile_size import inflated_size

JOINT_DATA_NAME = "joint_data.mat"
PREFIXES = ("depth", "synthdepth")
_N_JOINTS = len(NYU_JOINT_NAMES)
# The release's largest, train/joint_data.mat: joint_uvd and joint_xyz, each (3, 72757,
# 36, 3) float64, ~189 MB apiece, ~378 MB inflated. 1 GiB is 2.8x that and bounds what
# loadmat may allocate for a hostile file (a few kB of zlib inflating to many GB).
MAX_JOINT_DATA_INFLATED_BYTES = 1 << 30


def frame_name(prefix: str, kinect: int, number: int) -> str:
    """File name of one frame: frame_name("depth", 1, 1) == "depth_1_0000001.png"."""
    return f"{prefix}_{kinect}_{number:07d}.png"


def list_frames(split_dir: Path, prefix: str, kinect: int = 1) -> list[int]:
    """Sorted 1-based file numbers of `{prefix}_{kinect}_NNNNNNN.png` in split_dir.

    Other files (rgb_*, other kinects, the other prefix, joint_data.mat) are ignored:
    the release keeps them side by side. Raises EmptySourceError when none match.
    """
    if prefix not in PREFIXES:
        raise ValueError(f"unknown NYU frame prefix {prefix!r}; one of {PREFIXES}")
    split_dir = Path(split_dir)
    if not split_dir.is_dir():
        raise EmptySourceError(f"{split_dir}: NYU split folder not found")
    pattern = re.compile(rf"^{prefix}_{kinect}_(\d{{7}})\.png$")
    numbers = sorted(int(m.group(1)) for p in split_dir.iterdir()
                     if (m := pattern.match(p.name)) and int(m.group(1)) >= 1)
    if not numbers:
        raise EmptySourceError(
            f"{split_dir}: no {frame_name(prefix, kinect, 1).replace('0000001', 'NNNNNNN')} files")
    return numbers


def decode_depth_png(path: Path) -> np.ndarray:
    """An NYU depth PNG -> (480, 640) uint16 depth in mm (0 = no reading).

    The release stores depth in an RGB PNG: high byte in G, low byte in B, R = 0
    (the packing: simgan_core/hand/depth_png.py, shared with the simulators' writer).
    """
    path = Path(path)
    try:
        with Image.open(path) as pil:  # lazy: reads the header (IHDR), not the pixels
            if pil.format != "PNG":
                raise FormatError(f"not a PNG ({pil.format})", str(path))
            # Size first, from the header: a 12000 x 12000 PNG of a few kB would
            # otherwise decode to 432 MB (1.6 GB peak with its copies) before refusal.
            if pil.size != (FRAME_W, FRAME_H):
                raise FormatError(f"image is {pil.size[0]} x {pil.size[1]}, expected "
                                  f"{FRAME_W} x {FRAME_H}", str(path))
            pil.load()  # a truncated file fails here, not lazily later
            mode = pil.mode
            rgb = np.asarray(pil)
    except FileNotFoundError:
        raise FormatError("file not found", str(path)) from None
    except Image.DecompressionBombError as err:  # PIL's own pixel cap, raised at open
        raise FormatError(f"refused as a decompression bomb: {err}", str(path)) from None
    except (OSError, SyntaxError) as err:
        raise FormatError(f"cannot decode PNG (truncated or corrupt): {err}", str(path)) from None
    if mode != "RGB":
        raise FormatError(f"PNG mode {mode!r}, expected RGB (depth = G * 256 + B)", str(path))
    return unpack_depth_rgb(rgb)


@dataclass(frozen=True, eq=False)
class JointData:
    """The arrays of one `joint_data.mat`; index [kinect - 1, number - 1]."""

    path: str
    uvd: np.ndarray  # (K, N, 36, 3) float64: u px, v px, d mm
    xyz: np.ndarray  # (K, N, 36, 3) float64 mm, camera frame, y up
    names: tuple[str, ...]  # (36,) joint names as stored ("" when the file has none)

    @property
    def n_frames(self) -> int:
        return int(self.uvd.shape[1])

    def frame(self, kinect: int, number: int) -> tuple[np.ndarray, np.ndarray]:
        """(uvd (36, 3), xyz (36, 3)) of 1-based file `number` seen by `kinect`."""
        if not 1 <= kinect <= self.uvd.shape[0]:
            raise FormatError(f"no kinect {kinect} (the arrays hold {self.uvd.shape[0]})",
                              self.path)
        if not 1 <= number <= self.n_frames:
            raise FormatError(f"frame {number} is beyond the arrays' {self.n_frames} frames",
                              self.path)
        return self.uvd[kinect - 1, number - 1], self.xyz[kinect - 1, number - 1]


def _names(value: object) -> tuple[str, ...]:
    """MATLAB cell of strings (loadmat gives nested object arrays) -> plain strings."""
    out = []
    for item in np.asarray(value, dtype=object).reshape(-1):
        while isinstance(item, np.ndarray) and item.size == 1 and item.dtype == object:
            item = item.reshape(-1)[0]
        out.append(str(np.asarray(item).reshape(-1)[0]) if np.size(item) else "")
    return tuple(out)


def _joint_array(mat: dict, name: str, path: Path) -> np.ndarray:
    if name not in mat:
        raise FormatError(f"no {name!r} array (has {sorted(k for k in mat if k[:2] != '__')})",
                          str(path))
    array = np.asarray(mat[name])
    if array.ndim == 3:  # one kinect saved without its leading axis
        array = array[None]
    if array.ndim != 4 or array.shape[2:] != (_N_JOINTS, 3):
        raise FormatError(f"{name} has shape {array.shape}, expected (kinects, N, 36, 3)",
                          str(path))
    if not np.issubdtype(array.dtype, np.number):
        raise FormatError(f"{name} is {array.dtype}, not numeric", str(path))
    return array.astype(np.float64, copy=False)


def read_joint_data(path: Path) -> JointData:
    """Load `joint_data.mat` (MATLAB v5, as released) with scipy.io.loadmat, checked."""
    path = Path(path)
    try:
        inflated = inflated_size(path, MAX_JOINT_DATA_INFLATED_BYTES)  # bounded memory
    except FileNotFoundError:
        raise FormatError("file not found", str(path)) from None
    except OSError as err:
        raise FormatError(f"unreadable: {type(err).__name__}: {err}", str(path)) from None
    if inflated > MAX_JOINT_DATA_INFLATED_BYTES:
        raise FormatError(f"inflates to more than MAX_JOINT_DATA_INFLATED_BYTES "
                          f"({MAX_JOINT_DATA_INFLATED_BYTES} bytes); the release's largest "
                          "holds about 378 MB", str(path))
    try:
        mat = scipy.io.loadmat(str(path))
    except FileNotFoundError:
        raise FormatError("file not found", str(path)) from None
    except Exception as err:  # scipy raises MatReadError, ValueError, IndexError... on junk
        raise FormatError(f"cannot read MATLAB file: {type(err).__name__}: {err}",
                          str(path)) from None
    uvd = _joint_array(mat, "joint_uvd", path)
    xyz = _joint_array(mat, "joint_xyz", path)
    if uvd.shape != xyz.shape:
        raise FormatError(f"joint_uvd {uvd.shape} and joint_xyz {xyz.shape} differ "
                          "(frame or kinect counts do not match)", str(path))
    names = _names(mat["joint_names"]) if "joint_names" in mat else ("",) * _N_JOINTS
    if len(names) != _N_JOINTS:
        raise FormatError(f"joint_names has {len(names)} entries, expected {_N_JOINTS}",
                          str(path))
    if set(names) == set(NYU_JOINT_NAMES) and names != NYU_JOINT_NAMES:
        # NYU's own names in another order would silently mislabel every joint: refused.
        # (Names spelled otherwise cannot be judged; the arrays' order is then trusted.)
        raise FormatError("joint_names are NYU's 36 joints in another order", str(path))
    for array in (uvd, xyz):
        array.flags.writeable = False
    return JointData(str(path), uvd, xyz, names)
