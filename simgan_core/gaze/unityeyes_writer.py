"""The procedural UnityEyes simulator: `imgs/N.jpg` + `imgs/N.json`, as UnityEyes writes them.

Image N (1-based) is drawn from its own generator np.random.default_rng([seed, N - 1]),
so the bytes depend on (seed, N, size, quality) only, never on the worker count.
The JSON reproduces UnityEyes' text exactly (../shared/fixtures/unityeyes/1.json):
every scalar a string, "(x, y, z)" tuples with 4 decimals, floats as C# prints a
float32 ("0.8451564", "1.924006E-17"), a space before each newline, 2-space indents,
closing brackets at the children's indent, no final newline. Landmarks are in screen
pixels with y up from the BOTTOM edge and z the distance from the camera.
Field meanings here: pupil_size = pupil radius / iris radius; iris_size = iris radius /
NOMINAL_IRIS_RADIUS; light_rotation = (elevation, azimuth, 0) degrees, azimuth 180 = from
the camera's side; head_pose = (pitch, 180 + yaw, roll) mod 360 (head angles in the gaze
convention: a head facing the camera is (0, 180, 0)).
"""

from __future__ import annotations

import io
import json
import os
import re
import time
from functools import partial
from pathlib import Path

import numpy as np
from PIL import Image

from simgan_core.gaze.conventions import gaze_to_look_vec
from simgan_core.gaze.eye_model import (
    SYNTHETIC_POSES,
    EyeScene,
    camera_distance,
    caruncle,
    image_view,
    interior_margin,
    iris_contour,
    sample_scene,
)
from simgan_core.gaze.render_synthetic import SyntheticLook, render_image, sample_look
from simgan_core.parallel import default_workers, index_chunks, parallel_map

NOMINAL_IRIS_RADIUS = 0.58  # world units; iris_size 1.0
_NEEDS_ESCAPE = re.compile(r'[^ -~]|["\\]')  # outside printable ASCII, a quote, a backslash


def _write_atomic_no_fsync(path: Path, data: bytes) -> None:
    """Temp name in the same directory, then os.replace: a reader never sees half a file.

    Unlike simgan_core.atomic, no fsync per file: about 1 ms each here, two files per
    image, more than the rendering. simulate_unityeyes flushes once at the end (os.sync).
    """
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# --- text ------------------------------------------------------------------------------


def format_tuple(values: np.ndarray | tuple[float, ...], decimals: int = 4) -> str:
    """(1.0, -2.5) -> "(1.0000, -2.5000)"; never "-0.0000" (+ 0.0 turns -0.0 into 0.0)."""
    return "(" + ", ".join(f"{round(v, decimals) + 0.0:.{decimals}f}"
                           for v in np.asarray(values, dtype=np.float64).tolist()) + ")"


def format_float(x: float) -> str:
    """A float32 as C# prints it: 7 significant digits, "E-17" exponents."""
    return format(float(np.float32(x)), ".7g").replace("e", "E")


def _format_floats(values: np.ndarray) -> list[str]:
    """format_float over an array, vectorised."""
    return [format(v, ".7g").replace("e", "E")
            for v in np.asarray(values, dtype=np.float32).astype(np.float64).tolist()]


def unityeyes_json_text(obj: dict) -> str:
    """UnityEyes' own JSON layout for a dict of strings, lists and dicts."""

    def quote(text: str) -> str:  # json.dumps, with a fast path for plain ASCII
        return json.dumps(text) if _NEEDS_ESCAPE.search(text) else f'"{text}"'

    def render(value: object, indent: int) -> str:
        if isinstance(value, str):
            return quote(value)
        pad = " " * (indent + 2)
        if isinstance(value, dict):
            items = [f"{pad}{quote(k)}: {render(v, indent + 2)}" for k, v in value.items()]
            brackets = "{}"
        elif isinstance(value, list):
            if all(isinstance(v, str) for v in value):  # the common case, in one go
                items = [pad + quote(v) for v in value]
            else:
                items = [pad + render(v, indent + 2) for v in value]
            brackets = "[]"
        else:
            raise TypeError(f"UnityEyes JSON holds only strings, got {type(value).__name__}")
        return brackets[0] + " \n" + ", \n".join(items) + "\n" + pad + brackets[1]

    return render(obj, 0)


def unityeyes_annotation(scene: EyeScene, look: SyntheticLook, width: int, height: int) -> dict:
    """The JSON fields of one render, in UnityEyes' key order, every value a string."""
    # All 55 landmarks at once: screen x, y up from the bottom, distance from the camera.
    points = np.concatenate([interior_margin(scene), caruncle(scene), iris_contour(scene)])
    xy = image_view(width, height).project(points)
    xyz = np.stack([xy[:, 0], height - xy[:, 1], camera_distance(points)], 1)
    xyz = np.round(xyz, 4) + 0.0  # + 0.0: no "-0.0000"
    text = [f"({x:.4f}, {y:.4f}, {z:.4f})" for x, y, z in xyz.tolist()]
    pitch, yaw, roll = scene.head_pyr_deg
    return {
        "interior_margin_2d": text[:16],
        "caruncle_2d": text[16:23],
        "iris_2d": text[23:],
        "eye_details": {
            "look_vec": format_tuple((*gaze_to_look_vec(scene.gaze), 0.0)),
            "pupil_size": format_float(scene.pupil_ratio),
            "iris_size": format_float(scene.shape.iris_radius / NOMINAL_IRIS_RADIUS),
            "iris_texture": look.iris_texture,
        },
        "lighting_details": {
            "skybox_texture": look.skybox_texture,
            "skybox_exposure": format_float(look.skybox_exposure),
            "skybox_rotation": str(look.skybox_rotation),
            "ambient_intensity": format_float(look.ambient_intensity),
            "light_rotation": format_tuple(look.light_rotation_deg, decimals=1),
            "light_intensity": format_float(look.light_intensity),
        },
        "eye_region_details": {
            "pca_shape_coeffs": _format_floats(scene.shape.shape_coeffs),
            "primary_skin_texture": look.skin_texture,
        },
        # [0, 360) after rounding too: -0.00001 must not print as "360.0000".
        "head_pose": format_tuple(np.mod(np.round([pitch, 180.0 + yaw, roll], 4), 360.0)),
    }


# --- images ----------------------------------------------------------------------------


def sample_unityeyes(seed: int, index: int) -> tuple[EyeScene, SyntheticLook]:
    """Scene and look of image index + 1, from its own generator."""
    rng = np.random.default_rng([seed, index])
    return sample_scene(rng, SYNTHETIC_POSES), sample_look(rng)


def render_unityeyes(seed: int, index: int, width: int, height: int) -> tuple[Image.Image, dict]:
    """PIL RGB image and JSON fields of image index + 1 (file number)."""
    scene, look = sample_unityeyes(seed, index)
    return render_image(scene, look, width, height), unityeyes_annotation(
        scene, look, width, height)


def write_unityeyes_chunk(out_dir: Path, seed: int, width: int, height: int, quality: int,
                          chunk: tuple[int, int]) -> int:
    """Render and write images chunk[0]..chunk[1]-1 (files chunk[0]+1 ..) into out_dir/imgs;
    returns the count. Each image depends on (seed, index) only: any chunking, any worker
    (a local process, a Dask worker) writes the same bytes. No fsync: see flush_to_disk."""
    imgs = Path(out_dir) / "imgs"
    for index in range(*chunk):
        image, fields = render_unityeyes(seed, index, width, height)
        buf = io.BytesIO()
        image.save(buf, format="JPEG", quality=quality)
        _write_atomic_no_fsync(imgs / f"{index + 1}.jpg", buf.getvalue())
        _write_atomic_no_fsync(imgs / f"{index + 1}.json", unityeyes_json_text(fields).encode())
    return chunk[1] - chunk[0]


def flush_to_disk() -> None:
    """One flush of everything written (on this machine) instead of an fsync per file."""
    os.sync()


def prepare_unityeyes(out_dir: Path, n: int, seed: int, width: int, height: int,
                      jpeg_quality: int) -> Path:
    """Check the arguments and create out_dir/imgs; returns it."""
    if n < 0 or seed < 0:
        raise ValueError(f"n and seed must be >= 0 (got n={n}, seed={seed})")
    if width < 16 or height < 16:
        raise ValueError(f"image too small: {width} x {height}")
    if not 1 <= jpeg_quality <= 100:
        raise ValueError(f"jpeg_quality must be in 1..100, got {jpeg_quality}")
    imgs = Path(out_dir) / "imgs"
    imgs.mkdir(parents=True, exist_ok=True)
    return imgs


def simulate_unityeyes(out_dir: Path, n: int, seed: int, width: int = 320, height: int = 240,
                       workers: int | None = None, jpeg_quality: int = 95) -> dict:
    """Write out_dir/imgs/1.jpg, 1.json .. n; same seed, same bytes, whatever `workers`.

    Returns {"count", "seconds", "images_per_s", "workers"}.
    """
    start = time.perf_counter()
    prepare_unityeyes(out_dir, n, seed, width, height, jpeg_quality)
    n_workers = default_workers() if workers is None else workers
    chunks = index_chunks(n, n_workers)
    job = partial(write_unityeyes_chunk, Path(out_dir), seed, width, height, jpeg_quality)
    count = sum(parallel_map(job, chunks, workers=n_workers))
    flush_to_disk()
    seconds = time.perf_counter() - start
    return {"count": count, "seconds": seconds, "images_per_s": count / max(seconds, 1e-9),
            "workers": min(n_workers, max(1, len(chunks)))}
