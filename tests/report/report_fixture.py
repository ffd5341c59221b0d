"""A report page's inputs for the reporting tests: gaze-like results, curves, ablations,
and (optionally) hostile strings where file names and annotations go.

(tests/report, not tests/reporting: a test folder of that name would shadow the package.)
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from reporting.html_page import ReportInputs
from reporting.result_rows import metric_columns
from simgan_core.gaze.spec import GAZE

GAZE_KEYS = ("mean_deg", "median_deg", "within_7deg")
HOSTILE_FILE = '"><img src=x onerror=alert(1)>.png'
HOSTILE_TEXT = "</td></table></svg><script>alert(2)</script>&amp;"


def _entry(mean: float, n_train: int) -> dict:
    return {"mean_deg": mean, "mean_deg_std": 0.21, "median_deg": mean - 1.0,
            "median_deg_std": 0.3, "within_7deg": 40.0 + mean, "within_7deg_std": 1.25,
            "seeds": 3, "n_train": n_train,
            "per_seed": {"0": {"mean_deg": mean, "median_deg": mean - 1, "within_7deg": 50.0}}}


EVALUATION = {
    "real_oracle": _entry(6.9, 3000),  # listed first on purpose: the table reorders
    "synthetic": _entry(11.47, 6000),
    "refined": _entry(9.31, 6000),
    "real_test_n": 1500,
    "refined_over_synthetic": 0.812,
}
X = [i * 0.5 for i in range(51)]
CDF = {"error_deg": X,
       "synthetic": [min(100.0, 4 * x) for x in X],
       "refined": [min(100.0, 5 * x) for x in X],
       "real_oracle": [min(100.0, 8 * x) for x in X]}
# refiner_curves.csv's layout: losses empty during discriminator pre-training.
CURVES = {
    "step": ["10", "20", "30", "40", "50", "60"],
    "phase": ["pretrain_refiner", "pretrain_refiner", "pretrain_disc", "pretrain_disc",
              "adversarial", "adversarial"],
    "loss_reg": ["0.09", "0.04", "", "", "0.16", "0.15"],
    "loss_adv": ["", "", "", "", "0.75", "0.70"],
    "loss_disc": ["", "", "1.3", "1.0", "1.33", "1.30"],
    "disc_acc_real": ["", "", "0.0", "0.87", "0.26", "0.65"],
    "disc_acc_refined": ["", "", "1.0", "0.65", "0.83", "0.47"],
}
ABLATIONS = {"no_history": {"description": "no history buffer <script>alert(1)</script>",
                            "overrides": {"history_size": 0},
                            "c2st_refined_vs_real": 0.71, "refined_mean_deg": 10.2,
                            "synthetic_mean_deg": 11.47, "refined_over_synthetic": 0.889}}


def png() -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.arange(35 * 55, dtype=np.uint8).reshape(35, 55)).save(buf, "PNG")
    return buf.getvalue()


def report_inputs(**changes: object) -> ReportInputs:
    base: dict = dict(title="SimGAN gaze", data_note="stand-in real camera & simulator",
                      evaluation=EVALUATION, metric_columns=metric_columns(GAZE_KEYS),
                      curve_text=GAZE.report.curve,
                      images=[("synthetic | refined | real", png())], error_cdf=CDF,
                      refiner_curves=CURVES, ablations=ABLATIONS,
                      summaries=[("refiner.json", {"c2st_refined_vs_real": 0.6725,
                                                   "by": {"nested": 3}})],
                      notes=["ingest.json not found: its section is skipped."])
    return ReportInputs(**(base | changes))


def hostile_inputs() -> ReportInputs:
    """The hostile strings as an image's file name, a note, a data note, an ablation's
    description, a summary key and value, a training set name and a curve's column."""
    evaluation = dict(EVALUATION) | {HOSTILE_TEXT: _entry(12.0, 10)}
    cdf = dict(CDF) | {HOSTILE_TEXT: [50.0] * len(X)}
    ablations = {"x": dict(ABLATIONS["no_history"]) | {"description": HOSTILE_TEXT}}
    return report_inputs(
        title=f"report {HOSTILE_TEXT}", data_note=HOSTILE_TEXT, evaluation=evaluation,
        images=[(HOSTILE_FILE, png())], error_cdf=cdf, ablations=ablations,
        summaries=[(HOSTILE_FILE, {HOSTILE_TEXT: HOSTILE_TEXT})],
        notes=[f"{HOSTILE_FILE} not found: its section is skipped."])
