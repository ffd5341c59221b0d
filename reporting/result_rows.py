"""The evaluate stage's results as table rows: which training sets, in what order, how
each is labelled, and how a metric reads ("mean ± std over seeds").

Shared by the HTML report and the README's results section so that both say the same
thing, the real-data oracle's upper-bound label included.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

TRAINING_SET_ORDER = ("synthetic", "synthetic_aug", "refined", "real_oracle")
ORACLE = "real_oracle"
ORACLE_LABEL = "real_oracle (upper bound: real labels)"
MISSING = "–"
ABLATION_TEXT_KEYS = ("description", "overrides")


@dataclass(frozen=True)
class MetricColumn:
    """One metric of an evaluate.json entry: its key, a column header, its decimals.
    The entry's `<key>_std` (std over seeds), when present, is shown after a ±."""

    key: str
    label: str
    decimals: int = 2


KNOWN_METRICS: dict[str, MetricColumn] = {
    c.key: c for c in (
        MetricColumn("mean_deg", "mean error (deg)", 2),
        MetricColumn("median_deg", "median error (deg)", 2),
        MetricColumn("within_7deg", "within 7 deg (%)", 1),
        MetricColumn("mean_px", "mean error (px)", 2),
        MetricColumn("pck_5px", "within 5 px (%)", 1),
    )
}


SEED_STUDY = "refiner_seeds"  # evaluate.json's block over refiner seeds (not a training set)


def metric_columns(keys: Sequence[str]) -> list[MetricColumn]:
    """Columns for the given metric keys; an unknown key is shown under its own name."""
    return [KNOWN_METRICS.get(k, MetricColumn(k, k, 3)) for k in keys]


def training_set_label(name: str) -> str:
    """How a training set is named in every table: the oracle says it is an upper bound."""
    return ORACLE_LABEL if name == ORACLE else name


def ordered(names: Sequence[str]) -> list[str]:
    """Training set names, known ones in the canonical order, then others alphabetically."""
    known = [k for k in TRAINING_SET_ORDER if k in names]
    return known + sorted(k for k in names if k not in TRAINING_SET_ORDER)


def training_sets(evaluation: Mapping[str, Any]) -> list[str]:
    """The training sets present in an evaluate.json, in order (top-level scalars such as
    real_test_n are skipped)."""
    return ordered([k for k, v in evaluation.items()
                    if isinstance(v, Mapping) and k != SEED_STUDY])


def format_metric(entry: Mapping[str, Any], column: MetricColumn) -> str:
    """'11.47 ± 0.21' (mean over seeds ± std), '11.47' without a std, '–' when absent."""
    value = entry.get(column.key)
    if not isinstance(value, int | float):
        return MISSING
    text = f"{value:.{column.decimals}f}"
    std = entry.get(f"{column.key}_std")
    if isinstance(std, int | float):
        text += f" ± {std:.{column.decimals}f}"
    return text


def format_count(entry: Mapping[str, Any], key: str) -> str:
    """An integer field (seeds, n_train) or '–'."""
    value = entry.get(key)
    return str(value) if isinstance(value, int) else MISSING


def result_rows(evaluation: Mapping[str, Any], columns: Sequence[MetricColumn]) -> list[list[str]]:
    """One row per training set: label, each metric, seeds, n_train (all as text)."""
    rows = []
    for name in training_sets(evaluation):
        entry = evaluation[name]
        rows.append([training_set_label(name), *(format_metric(entry, c) for c in columns),
                     format_count(entry, "seeds"), format_count(entry, "n_train")])
    return rows


def result_header(columns: Sequence[MetricColumn]) -> list[str]:
    """The header matching `result_rows`."""
    return ["training set", *(c.label for c in columns), "seeds", "n train"]


def ratio_sentence(evaluation: Mapping[str, Any]) -> str | None:
    """The measured refined/synthetic ratio of mean errors, in words; None when absent."""
    ratio = evaluation.get("refined_over_synthetic")
    if not isinstance(ratio, int | float):
        return None
    refined, synthetic = evaluation.get("refined", {}), evaluation.get("synthetic", {})
    spread = max(refined.get("mean_deg_std", 0.0), synthetic.get("mean_deg_std", 0.0))
    difference = abs(refined.get("mean_deg", 0.0) - synthetic.get("mean_deg", 0.0))
    if spread and difference < spread:  # a difference the estimator seeds alone make
        verdict = (f"the difference, {difference:.2f} deg, is within the estimator seeds' "
                   f"spread ({spread:.2f} deg): no clear effect")
    else:
        verdict = ("refinement reduced the error" if ratio < 1
                   else "refinement did not reduce the error")
    return (f"Mean error of the estimator trained on refined images divided by that of the "
            f"one trained on raw synthetic images: {ratio:.3f} (below 1 means better; "
            f"here {verdict}).")


def gap_sentence(evaluation: Mapping[str, Any]) -> str | None:
    """The measured share of the synthetic-to-real gap that refinement closed (hand:
    refined_gap_closed on pck_5px), in words; None when absent."""
    closed = evaluation.get("refined_gap_closed")
    if not isinstance(closed, int | float):
        return None
    return (f"Share of the gap in joints within 5 px between the estimator trained on raw "
            f"synthetic images and the one trained on real labels that training on refined "
            f"images closed: {closed:.3f} (1 = all of it, 0 = none, below 0 = worse than "
            f"synthetic).")


def seed_sentence(evaluation: Mapping[str, Any]) -> str | None:
    """The headline over refiner seeds (evaluate.json's refiner_seeds block), in words:
    each seed's corpus as if it were the published one; None when absent."""
    block = evaluation.get(SEED_STUDY)
    if not isinstance(block, Mapping) or not block.get("per_seed"):
        return None
    per_seed = ", ".join(f"seed {s}: {v:.3f}" for s, v in sorted(block["per_seed"].items()))
    return (f"Over {len(block['per_seed'])} refiner seeds (one refiner, corpus and set of "
            f"estimators each: the rows refined_seed<k>), {block['metric']} is "
            f"{block['mean']:.3f} on average, from {block['min']:.3f} to {block['max']:.3f} "
            f"({per_seed}).")


def headline_sentences(evaluation: Mapping[str, Any]) -> list[str]:
    """Every headline sentence an evaluate.json supports (gaze ratio, hand gap closed,
    their spread over refiner seeds)."""
    return [s for s in (ratio_sentence(evaluation), gap_sentence(evaluation),
                        seed_sentence(evaluation)) if s]


def format_value(value: Any) -> str:
    """A JSON value as short text: floats to 4 significant digits, lists joined."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list | tuple):
        return ", ".join(format_value(v) for v in value)
    return str(value)


def _overrides_text(overrides: Any) -> str:
    """{"lambda_reg": 0.1, "history": false} -> 'lambda_reg=0.1; history=false'."""
    if not isinstance(overrides, Mapping):
        return format_value(overrides)
    return "; ".join(f"{k}={json.dumps(v)}" for k, v in overrides.items())


def ablation_table(ablations: Mapping[str, Mapping[str, Any]]) -> tuple[list[str], list[list[str]]]:
    """(header, rows) of ablations.json: name, description, overrides, then every other key
    (the measured figures) in first-seen order."""
    keys: dict[str, None] = {}
    for entry in ablations.values():
        keys.update((k, None) for k in entry if k not in ABLATION_TEXT_KEYS)
    header = ["ablation", "description", "overrides", *keys]
    rows = [[name, str(e.get("description", "")), _overrides_text(e.get("overrides", {})),
             *(format_value(e[k]) if k in e else MISSING for k in keys)]
            for name, e in ablations.items()]
    return header, rows
