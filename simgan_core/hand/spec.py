"""The hand-pose domain's spec: 16-bit depth crops labelled with 14 joints (NYU)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from simgan_core.domain import CurveText, Domain, ReportText

if TYPE_CHECKING:
    from simgan_core.estimator_family import EstimatorFamily


def _label(annotation: Mapping[str, Any]) -> np.ndarray:
    """The 14 evaluated joints' (u, v) in crop pixels, flattened to (28,)."""
    return np.asarray(annotation["joints_uv"], dtype=np.float64).reshape(-1)


def _label_shift(*args: Any) -> dict[str, float]:
    from simgan_core.hand.label_judge import hand_label_shift  # torch: imported when judged

    return hand_label_shift(*args)


def _estimator() -> EstimatorFamily:
    from simgan_core.estimator_family import EstimatorFamily  # torch: imported when trained
    from simgan_core.hand import estimator as h
    from simgan_core.hand.metrics import pck_curve, pck_summary

    return EstimatorFamily("heatmap_hourglass", h.EstimatorConfig, h.train_estimator,
                           h.build_estimator, h.joint_errors_px, pck_summary, pck_curve,
                           "error_px", h.predict_joints_uv)


# (field, type, meaning with units) of the annotation JSON, top level first: the
# refined shards' dataset card (tasks/dataset_card.py)
ANNOTATION_FIELDS = (
    ("domain", "string", '"hand"'),
    ("joints_uv", "float[14][2]", "the 14 evaluated NYU joints (u, v), crop pixels, "
                                  "top-left origin"),
    ("joints_xyz_mm", "float[14][3]", "the same joints in the camera frame, mm, y up (NYU)"),
    ("cube_mm", "float", "edge of the metric cube around the palm centre, mm: stored 0 "
                         "is its near face, 65535 its far face (also holes, background)"),
    ("center_uvd", "float[3]", "palm-centre joint in the full frame: u px, v px, depth mm"),
    ("provenance", "object", "source (nyu_synthdepth | nyu_depth), file, frame "
                             "(1-based), kinect"),
)


# The hand-pose domain: 16-bit depth crops (NYU's layout), in [-1, 1] within a metric
# cube around the palm centre. Sizable: every network it trains is fully convolutional
# (the hourglass's stem brings any S x S crop to its heatmap side), so the crop is
# ingest.hand.crop_size (64 here for the CPU; the paper's 224 with the paper presets).
HAND = Domain(
    name="hand",
    image_hw=(64, 64),
    dtype=np.uint16,
    required_keys=("domain", "joints_uv", "joints_xyz_mm", "cube_mm", "provenance"),
    label_vector=_label,
    estimator=_estimator,
    metrics=("pck_5px", "mean_px"),
    headline_metric="pck_5px",
    headline="gap_closed",
    leak_unit="folder",
    label_shift=_label_shift,
    shift_metric="joint_shift_px_224",
    annotation_fields=ANNOTATION_FIELDS,
    report=ReportText(
        data_note=(
            "This run uses the project's built-in hand simulator (synthetic depth renders "
            "written in the NYU hand pose release's format) and its stand-in real Kinect "
            "(the same kind of poses through a structured-light sensor model: holes, flying "
            "pixels, quantization, noise, background), not the public NYU dataset. The "
            "stand-in's labels are used only for evaluation and for the real-data oracle. "
            "Depth crops are shown near = dark, back of the crop cube (and holes) = white."),
        curve=CurveText(
            x_column="error_px",
            heading="Joints within a distance (PCK curve)",
            title="Joint error on the real test set (cumulative)",
            y_label="joints within distance (%)",
            caption=("Share of the 14 joints of the real test crops whose predicted position "
                     "is within d pixels of the label, at the paper's 224-pixel crop scale, "
                     "mean over seeds; the value at 5 px is the paper's hand metric.")),
        summary_files=("refiner.json", "ingest.json"),  # no ablations (gaze's only)
        ablations_file=None,
    ),
    sizable=True,
)

DOMAIN = HAND
