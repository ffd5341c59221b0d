"""Read a folder of the user's images (and their annotations) into canonical samples.

    <folder>/**/*.png | *.jpg | *.jpeg     images, any size, RGB or grayscale (8-bit)
    <folder>/annotations.jsonl             one JSON object per line, naming its image in
                                           "image" (a path relative to the folder), or
    <folder>/**/<stem>.json                one JSON object beside each image

A folder read without annotations (the unlabeled real images) never opens a JSON file.
Every bad input becomes a `Quarantined` with its reason: an image that cannot be
decoded or is too large, an image without an annotation, an annotation that is not a
JSON object, a JSONL line naming no image or a second annotation of one image.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from simgan_core.images.spec import IMAGES
from simgan_core.ingest_records import CanonicalSample, EmptySourceError, Quarantined
from simgan_core.shards import MAX_DECODE_PIXELS

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
JSONL_NAME = "annotations.jsonl"
FITS = ("crop", "resize")
_KEY_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
# 8-bit modes PIL opens PNG and JPEG images in; RGB output, alpha dropped
_EIGHT_BIT_MODES = ("1", "L", "LA", "P", "RGB", "RGBA", "CMYK", "YCbCr")


@dataclass(frozen=True)
class FolderItem:
    """One image to ingest and its annotation's exact text (None: unlabeled)."""

    rel: str  # posix path relative to the folder
    annotation: str | None


def list_images(folder: Path) -> list[str]:
    """Every image under `folder` (hidden entries skipped), as sorted relative paths."""
    if not folder.is_dir():
        raise EmptySourceError(f"{folder}: no such folder")
    found = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                   if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()
                   and not any(part.startswith(".") for part in p.relative_to(folder).parts))
    if not found:
        raise EmptySourceError(f"{folder}: no {'/'.join(IMAGE_SUFFIXES)} images")
    return found


def _object_text(text: str, where: str) -> str:
    """`text` itself when it is one JSON object (no NaN / Infinity), else ValueError."""
    def refuse(name: str) -> None:
        raise ValueError(f"{where}: {name} is not JSON")

    try:
        value = json.loads(text, parse_constant=refuse)
    except json.JSONDecodeError as err:
        raise ValueError(f"{where}: not JSON ({err.msg} at line {err.lineno} column "
                         f"{err.colno})") from None
    if not isinstance(value, dict):
        raise ValueError(f"{where}: the annotation must be a JSON object, got "
                         f"{type(value).__name__}")
    return text


def _jsonl_annotations(folder: Path, images: set[str]
                       ) -> tuple[dict[str, str], list[Quarantined]]:
    path = folder / JSONL_NAME
    texts: dict[str, str] = {}
    bad: list[Quarantined] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        where = f"{JSONL_NAME}:{number}"
        if not line.strip():
            continue
        try:
            image = json.loads(_object_text(line, where)).get("image")
        except ValueError as err:
            bad.append(Quarantined(where, str(err).removeprefix(f"{where}: ")))
            continue
        if not isinstance(image, str) or image not in images:
            bad.append(Quarantined(where, f"names no image of the folder: {image!r}"))
        elif image in texts:
            bad.append(Quarantined(where, f"a second annotation of {image}"))
        else:
            texts[image] = line
    return texts, bad


def plan_folder(folder: Path, annotated: bool) -> tuple[list[FolderItem], list[Quarantined]]:
    """The folder's images with their annotations' text (annotated) or without (real),
    and the bad inputs found on the way (paths relative to the folder)."""
    images = list_images(folder)
    if not annotated:
        return [FolderItem(rel, None) for rel in images], []
    if (folder / JSONL_NAME).is_file():
        texts, bad = _jsonl_annotations(folder, set(images))
    else:
        texts, bad = {}, []
        for rel in images:
            sidecar = (folder / rel).with_suffix(".json")
            if not sidecar.is_file():
                continue
            try:
                texts[rel] = _object_text(sidecar.read_text(encoding="utf-8"),
                                          sidecar.relative_to(folder).as_posix())
            except (OSError, UnicodeDecodeError, ValueError) as err:
                bad.append(Quarantined(sidecar.relative_to(folder).as_posix(), str(err)))
    items = []
    for rel in images:
        if rel in texts:
            items.append(FolderItem(rel, texts[rel]))
        elif not any(q.path == Path(rel).with_suffix(".json").as_posix() for q in bad):
            bad.append(Quarantined(rel, "no annotation (no line of annotations.jsonl, "
                                        "no .json beside it)"))
    return items, bad


def load_image(path: Path) -> np.ndarray:
    """An 8-bit PNG or JPEG -> (h, w, 3) uint8 RGB; ValueError naming the problem. The size
    is checked from the header, before any pixel is decoded."""
    try:
        with Image.open(path) as pil:
            if pil.format not in ("PNG", "JPEG"):
                raise ValueError(f"not a PNG or JPEG ({pil.format})")
            width, height = pil.size
            if width * height > MAX_DECODE_PIXELS:
                raise ValueError(f"{height} x {width} px is more than {MAX_DECODE_PIXELS}")
            if pil.mode not in _EIGHT_BIT_MODES:
                raise ValueError(f"mode {pil.mode!r}: only 8-bit gray or colour images")
            return np.asarray(pil.convert("RGB"), dtype=np.uint8)
    except (OSError, Image.DecompressionBombError) as err:
        raise ValueError(f"cannot decode: {err}") from None


def fit_box(hw: tuple[int, int], out_hw: tuple[int, int], fit: str) -> tuple[int, ...]:
    """(top, left, height, width) of the input region an image of `out_hw` shows: the
    whole input (resize), or its largest centred region of out_hw's aspect (crop)."""
    h, w = hw
    if fit == "resize":
        return (0, 0, h, w)
    if fit != "crop":
        raise ValueError(f"fit {fit!r}: one of {FITS}")
    out_h, out_w = out_hw
    if h * out_w > w * out_h:  # taller than the aspect: keep the full width
        ch, cw = max(1, round(w * out_h / out_w)), w
    else:
        ch, cw = h, max(1, round(h * out_w / out_h))
    return ((h - ch) // 2, (w - cw) // 2, ch, cw)


def fit_image(image: np.ndarray, out_hw: tuple[int, int], fit: str
              ) -> tuple[np.ndarray, tuple[int, ...]]:
    """(h, w, 3) uint8 -> ((H, W, 3) uint8, the box it shows), bicubic resampling of the
    box alone (no pixel outside it reaches the output)."""
    top, left, bh, bw = box = fit_box(image.shape[:2], out_hw, fit)
    region = Image.fromarray(image[top:top + bh, left:left + bw])
    pil = region.resize((out_hw[1], out_hw[0]), Image.Resampling.BICUBIC)
    return np.asarray(pil, dtype=np.uint8), box


def sample_key(prefix: str, rel: str) -> str:
    """A stable key for an input file: its name made key-safe plus 8 hex digits of the
    path's sha1 (two names that sanitize alike stay apart)."""
    stem = _KEY_UNSAFE.sub("_", Path(rel).with_suffix("").as_posix()).strip("_")[:48]
    return f"{prefix}-{stem or 'image'}-{hashlib.sha1(rel.encode()).hexdigest()[:8]}"


def canonical_samples(folder: Path, items: list[FolderItem], split: str, fit: str,
                      out_hw: tuple[int, int] = IMAGES.image_hw
                      ) -> Iterator[CanonicalSample | Quarantined]:
    """Each item as a canonical sample of the images domain at out_hw = (H, W) pixels,
    or Quarantined with why."""
    for item in items:
        try:
            image = load_image(folder / item.rel)
        except ValueError as err:
            yield Quarantined(item.rel, str(err))
            continue
        out, box = fit_image(image, out_hw, fit)
        annotation = {"domain": IMAGES.name, "user_annotation": item.annotation,
                      "source": {"file": item.rel, "original_hw": list(image.shape[:2]),
                                 "fit": fit, "box": list(box)}}
        key = sample_key("synthetic" if split == "synthetic" else "real", item.rel)
        pixels = out.astype(np.float64)
        row = {"key": key, "split": split, "source_file": item.rel,
               "original_h": int(image.shape[0]), "original_w": int(image.shape[1]),
               "annotated": item.annotation is not None,
               "image_mean": float(pixels.mean()), "image_std": float(pixels.std())}
        yield CanonicalSample(key, out, annotation, row)
