"""The gaze domain's spec: 8-bit grayscale eye crops labelled with (pitch, yaw)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from simgan_core.domain import CurveText, Domain, ReportText

if TYPE_CHECKING:
    from simgan_core.estimator_family import EstimatorFamily


def _label(annotation: Mapping[str, Any]) -> np.ndarray:
    """(pitch, yaw) in radians, project convention (see gaze/conventions.py)."""
    gaze = annotation["gaze"]
    return np.array([gaze["pitch"], gaze["yaw"]], dtype=np.float64)


def _label_shift(*args: Any) -> dict[str, float]:
    from simgan_core.gaze.label_judge import gaze_label_shift  # torch: imported when judged

    return gaze_label_shift(*args)


def _estimator() -> EstimatorFamily:
    from simgan_core.estimator_family import EstimatorFamily  # torch: imported when trained
    from simgan_core.gaze import estimator as g

    return EstimatorFamily("gaze_regressor", g.EstimatorConfig, g.train_estimator,
                           g.build_estimator, g.angular_errors_deg, g.error_summary,
                           g.error_cdf, "error_deg", g.predict_pitchyaw)


# (field, type, meaning with units) of the annotation JSON, top level first: the
# refined shards' dataset card (tasks/dataset_card.py)
ANNOTATION_FIELDS = (
    ("domain", "string", '"gaze"'),
    ("eye", "string", '"left": right eyes were mirrored to left eyes at ingest'),
    ("gaze.pitch", "float", "radians; pitch = asin(-y) in the normalized camera "
                            "(x right, y down, z forward)"),
    ("gaze.yaw", "float", "radians; yaw = atan2(-x, -z)"),
    ("gaze.vector", "float[3]", "unit 3-D gaze (x, y, z), same camera"),
    ("head_pose.euler_deg", "float[3]", "UnityEyes head pose (pitch, yaw, roll), degrees"),
    ("landmarks.interior_margin", "float[16][2]", "eyelid margin (x, y), crop pixels, "
                                                  "top-left origin"),
    ("landmarks.caruncle", "float[7][2]", "caruncle (x, y), crop pixels"),
    ("landmarks.iris", "float[32][2]", "iris outline (x, y), crop pixels"),
    ("provenance", "object", "dataset, source_file (relative to the source root), "
                             "subject, stored_eye, split"),
)


GAZE = Domain(
    name="gaze",
    image_hw=(35, 55),
    dtype=np.uint8,
    required_keys=("domain", "eye", "gaze", "head_pose", "landmarks", "provenance"),
    label_vector=_label,
    estimator=_estimator,
    metrics=("mean_deg", "median_deg", "within_7deg"),
    headline_metric="mean_deg",
    headline="ratio",
    leak_unit="subject",
    label_shift=_label_shift,
    shift_metric="gaze_shift_deg",
    annotation_fields=ANNOTATION_FIELDS,
    report=ReportText(
        data_note=(
            "This run uses the project's built-in simulator (written in UnityEyes' format) "
            "and its stand-in real camera (the same eye geometry through a different "
            "appearance model, written in MPIIGaze's format), not the public datasets. The "
            "stand-in's labels are used only for evaluation and for the real-data oracle."),
        curve=CurveText(
            x_column="error_deg",
            heading="Error distribution",
            title="Error on the real test set (cumulative)",
            y_label="images within error (%)",
            caption=("Share of real test images whose error is at most the threshold, mean "
                     "over seeds (as in the paper's Fig. 7).")),
        summary_files=("refiner.json", "ingest.json"),
        ablations_file="ablations.json",
    ),
)

DOMAIN = GAZE
