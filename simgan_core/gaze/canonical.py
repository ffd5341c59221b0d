"""Reader records -> canonical gaze samples: crop, label JSON and manifest row.

The annotation JSON (one per sample, in the shard next to its PNG):

    domain      "gaze"
    eye         "left" (right eyes are mirrored to left eyes at ingest)
    gaze        {"pitch": rad, "yaw": rad, "vector": [x, y, z]}  project convention
    head_pose   {"euler_deg": [pitch, yaw, roll]} (UnityEyes) or
                {"rodrigues": [rx, ry, rz]} (MPIIGaze, mirrored with the eye)
    landmarks   {"interior_margin": [[x, y] x16], "caruncle": [[x, y] x7],
                 "iris": [[x, y] x32]} in crop pixels (top-left origin), or null
    provenance  {"dataset", "source_file" (relative to the source root), "subject",
                 "stored_eye", "split"}

Floats are rounded (6 decimals for labels, 3 for pixel coordinates) so the JSON bytes
are short and stable across platforms.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from simgan_core.gaze.conventions import gaze_to_pitchyaw
from simgan_core.gaze.crop import crop_gray, eye_crop_box, resize_gray
from simgan_core.gaze.records import MPIIGazeRecord, UnityEyesRecord
from simgan_core.ingest_records import CanonicalSample


def _gaze_json(gaze: np.ndarray) -> dict[str, Any]:
    pitch, yaw = gaze_to_pitchyaw(gaze)
    return {"pitch": round(float(pitch), 6), "yaw": round(float(yaw), 6),
            "vector": [round(float(v), 6) for v in gaze]}


def _base_row(key: str, image: np.ndarray, gaze: dict[str, Any], split: str,
              source_file: str, subject: str, eye: str) -> dict[str, Any]:
    return {
        "key": key, "split": split, "source_file": source_file, "subject": subject, "eye": eye,
        "pitch": gaze["pitch"], "yaw": gaze["yaw"],
        "gaze_x": gaze["vector"][0], "gaze_y": gaze["vector"][1], "gaze_z": gaze["vector"][2],
        "image_mean": float(image.mean()), "image_std": float(image.std()),
    }


def from_unityeyes(record: UnityEyesRecord, out_hw: tuple[int, int], source_root: str,
                   split: str = "synthetic") -> CanonicalSample:
    """Crop a UnityEyes render with the public recipe; landmarks mapped into the crop."""
    box = eye_crop_box(record.interior_margin, record.caruncle)
    image = crop_gray(record.image, box, out_hw)
    marks = {name: np.round(box.to_crop(getattr(record, name), out_hw), 3).tolist()
             for name in ("interior_margin", "caruncle", "iris")}
    gaze = _gaze_json(record.gaze)
    source_file = os.path.relpath(record.json_path, source_root)
    annotation = {
        "domain": "gaze",
        "eye": "left",
        "gaze": gaze,
        "head_pose": {"euler_deg": [round(float(a), 4) for a in record.head_pose_deg]},
        "landmarks": marks,
        "provenance": {"dataset": "unityeyes", "source_file": source_file, "subject": None,
                       "stored_eye": "left", "split": split},
    }
    row = _base_row(record.key, image, gaze, split, source_file, "", "left")
    outline = np.concatenate([np.asarray(marks["interior_margin"]), np.asarray(marks["caruncle"])])
    row.update(lm_x_min=float(outline[:, 0].min()), lm_x_max=float(outline[:, 0].max()),
               lm_y_min=float(outline[:, 1].min()), lm_y_max=float(outline[:, 1].max()))
    return CanonicalSample(record.key, image, annotation, row)


def from_mpiigaze(record: MPIIGazeRecord, out_hw: tuple[int, int], source_root: str,
                  split: str) -> CanonicalSample:
    """Resize a (mirrored) MPIIGaze 36 x 60 crop to the canonical size; no landmarks."""
    image = resize_gray(record.image, out_hw)
    gaze = _gaze_json(record.gaze)
    source_file = f"{os.path.relpath(record.mat_path, source_root)}:{record.filename}"
    annotation = {
        "domain": "gaze",
        "eye": "left",
        "gaze": gaze,
        "head_pose": {"rodrigues": [round(float(r), 6) for r in record.pose]},
        "landmarks": None,
        "provenance": {"dataset": "mpiigaze", "source_file": source_file,
                       "subject": record.subject, "stored_eye": record.eye, "split": split},
    }
    row = _base_row(record.key, image, gaze, split, source_file, record.subject, record.eye)
    return CanonicalSample(record.key, image, annotation, row)
