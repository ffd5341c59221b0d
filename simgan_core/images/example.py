"""A tiny example of the images domain, made on the fly: coloured shapes whose positions
are the labels (the "simulator"), and the same kind of scenes through a stand-in camera.

    <out>/synthetic/shape_NNNNNN.png + annotations.jsonl   flat colours, hard edges, 48 x 48
    <out>/real/camera_NNNNNN.jpg                           60 x 80 JPEGs, no annotations

The camera differs from the renderer in appearance only: a lit, textured background,
shading across the shape, lens blur, a colour cast, sensor noise and JPEG compression.
Each image's bytes depend on (seed, its index) alone.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from simgan_core.atomic import atomic_output, atomic_write_text

SYNTHETIC_HW = (48, 48)
CAMERA_HW = (60, 80)  # another size and aspect: ingest crops it
SHAPES = ("circle", "square")


def _scene(rng: np.random.Generator, hw: tuple[int, int]) -> dict:
    """A shape's label: kind, centre (x, y) and radius in pixels of an hw image, colours."""
    h, w = hw
    radius = float(rng.uniform(0.12, 0.25) * min(h, w))
    return {"shape": SHAPES[int(rng.integers(len(SHAPES)))],
            "center_xy": [round(float(rng.uniform(radius, w - radius)), 3),
                          round(float(rng.uniform(radius, h - radius)), 3)],
            "radius": round(radius, 3),
            "colour": [int(c) for c in rng.integers(30, 226, 3)],
            "background": [int(c) for c in rng.integers(30, 226, 3)]}


def _mask(scene: dict, hw: tuple[int, int]) -> np.ndarray:
    """(h, w) bool: the shape's pixels (pixel centres at +0.5)."""
    ys, xs = np.mgrid[0:hw[0], 0:hw[1]] + 0.5
    dx, dy = xs - scene["center_xy"][0], ys - scene["center_xy"][1]
    if scene["shape"] == "circle":
        return dx ** 2 + dy ** 2 <= scene["radius"] ** 2
    return (np.abs(dx) <= scene["radius"]) & (np.abs(dy) <= scene["radius"])


def render_synthetic(seed: int, index: int) -> tuple[np.ndarray, dict]:
    """The renderer: (48, 48, 3) uint8 of flat colours, and the scene's label."""
    scene = _scene(np.random.default_rng([seed, 0, index]), SYNTHETIC_HW)
    image = np.empty((*SYNTHETIC_HW, 3), dtype=np.uint8)
    image[:] = scene["background"]
    image[_mask(scene, SYNTHETIC_HW)] = scene["colour"]
    return image, scene


def render_camera(seed: int, index: int) -> np.ndarray:
    """The stand-in camera: (60, 80, 3) uint8 of the same kind of scene, shot."""
    rng = np.random.default_rng([seed, 1, index])
    scene = _scene(rng, CAMERA_HW)
    h, w = CAMERA_HW
    ys, xs = np.mgrid[0:h, 0:w] / max(h, w)
    angle = rng.uniform(0, 2 * np.pi)
    light = 0.75 + 0.35 * (np.cos(angle) * xs + np.sin(angle) * ys)  # a lit scene
    texture = 1.0 + 0.06 * np.sin(rng.uniform(20, 40) * xs + rng.uniform(0, 6)) \
        * np.sin(rng.uniform(20, 40) * ys)
    image = np.asarray(scene["background"], float) * (light * texture)[..., None]
    mask = _mask(scene, CAMERA_HW)
    cx, cy = scene["center_xy"]
    shade = 1.1 - 0.5 * np.hypot(xs * max(h, w) - cx + 0.3 * scene["radius"],
                                 ys * max(h, w) - cy + 0.3 * scene["radius"]) \
        / (2 * scene["radius"])
    image[mask] = (np.asarray(scene["colour"], float) * shade[..., None])[mask]
    image *= rng.uniform(0.85, 1.15, 3)  # the camera's colour cast
    pil = Image.fromarray(np.clip(image, 0, 255).astype(np.uint8))
    pil = pil.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.6, 1.2))))
    noisy = np.asarray(pil, float) + rng.normal(0, 4.0, (h, w, 3))
    return np.clip(np.rint(noisy), 0, 255).astype(np.uint8)


def _write_image(path: Path, image: np.ndarray, fmt: str) -> None:
    buf = io.BytesIO()
    if fmt == "PNG":  # no metadata: bytes depend on the pixels only
        Image.fromarray(image).save(buf, format="PNG", compress_level=6)
    else:
        Image.fromarray(image).save(buf, format="JPEG", quality=85)
    with atomic_output(path) as tmp:
        tmp.write_bytes(buf.getvalue())


def _fresh_folder(folder: Path) -> None:
    """Create `folder`; a smaller rerun leaves no images of a larger one."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        if old.is_file():
            old.unlink()


def write_synthetic(folder: Path, n: int, seed: int) -> int:
    """The renderer's n images and annotations.jsonl (written last, atomically)."""
    _fresh_folder(folder)
    lines = []
    for i in range(n):
        image, scene = render_synthetic(seed, i)
        name = f"shape_{i:06d}.png"
        _write_image(folder / name, image, "PNG")
        lines.append(json.dumps({"image": name, **scene}, sort_keys=True))
    atomic_write_text(folder / "annotations.jsonl", "\n".join(lines) + "\n")
    return n


def write_camera(folder: Path, n: int, seed: int) -> int:
    """The stand-in camera's n unlabeled JPEG images."""
    _fresh_folder(folder)
    for i in range(n):
        _write_image(folder / f"camera_{i:06d}.jpg", render_camera(seed, i), "JPEG")
    return n


def write_example(out_dir: Path, n_synthetic: int, n_real: int, seed: int) -> dict[str, int]:
    """Both folders of the example, out_dir/synthetic and out_dir/real; the counts."""
    return {"synthetic": write_synthetic(out_dir / "synthetic", n_synthetic, seed),
            "real": write_camera(out_dir / "real", n_real, seed)}
