"""Great Expectations validation of the gaze ingest manifests (one DataFrame per split).

Plain functions that a Prefect task wraps. GX is imported inside `validate_manifests`
only (the import takes 4-6 s), with analytics and progress bars off. Validation runs
in a throwaway file-mode GX project so that Data Docs (HTML) are built; they are
copied into `docs_dir` whether or not validation passed.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from simgan_core.atomic import atomic_replace_dir

BASE_COLUMNS = (
    "key", "shard", "split", "source_file", "subject", "eye",
    "pitch", "yaw", "gaze_x", "gaze_y", "gaze_z", "image_mean", "image_std",
)
LANDMARK_COLUMNS = ("lm_x_min", "lm_x_max", "lm_y_min", "lm_y_max")  # crop pixels
IMAGE_MEAN_RANGE = (5.0, 250.0)  # 0-255 units: outside = blank or saturated crop
MIN_IMAGE_STD = 2.0  # 0-255 units: below = a flat (blank) crop
# Eyes look towards the camera (z forward), so gaze_z < 0 for (almost) every sample.
GAZE_Z_NEGATIVE_MOSTLY = 0.95
# The public crop (1.5 eye widths at 60:36) can cut the upper lid of a wide-open eye
# looking up: a few such samples are valid; a systematic error (a flipped y, a wrong
# crop) moves most landmarks out and fails.
LANDMARKS_MOSTLY = 0.99
ALL_SPLITS = "all_splits"  # the pseudo-split that checks keys across splits
_SPLIT_NAME = re.compile(r"^[A-Za-z0-9_-]+$")  # used in GX names and Data Docs paths
_EXAMPLES = 3  # unexpected values quoted per failed expectation


@dataclass(frozen=True)
class ExpectationRow:
    """One expectation's outcome on one split (a row of the table artifact)."""

    split: str
    expectation: str  # e.g. "expect_column_values_to_be_between(image_std >= 2)"
    column: str  # "" for table-level expectations
    success: bool
    observed: str  # e.g. "12 of 300 rows (4.0%), e.g. 0.0, 0.5"


@dataclass
class ValidationReport:
    success: bool
    results: list[ExpectationRow] = field(default_factory=list)
    docs_index: Path | None = None  # docs_dir/index.html

    def failures(self) -> list[ExpectationRow]:
        return [row for row in self.results if not row.success]

    def summary(self) -> str:
        """Readable text: one line per FAILED expectation (split, column, what was seen)."""
        failed = self.failures()
        head = (
            f"manifest validation {'passed' if self.success else 'FAILED'}: "
            f"{len(self.results) - len(failed)} of {len(self.results)} expectations met"
        )
        if self.docs_index is not None:
            head += f" (Data Docs: {self.docs_index})"
        lines = [head] + [f"  {r.split}: {r.expectation} failed: {r.observed}" for r in failed]
        return "\n".join(lines)

    def to_rows(self) -> list[dict[str, Any]]:
        return [asdict(row) for row in self.results]


def _expectations(
    gx: Any, df: pd.DataFrame, *, min_count: int, split: str, image_hw: tuple[int, int],
    max_abs_pitch_rad: float, max_abs_yaw_rad: float,
) -> list[Any]:
    """The expectation suite of one split; column checks only for columns that exist
    (a missing column fails once, in ExpectColumnToExist, not in every check on it)."""
    E = gx.expectations
    present = set(df.columns)
    height, width = image_hw
    has_landmarks = bool(present & set(LANDMARK_COLUMNS))
    required = BASE_COLUMNS + (LANDMARK_COLUMNS if has_landmarks else ())
    out: list[Any] = [E.ExpectTableRowCountToBeBetween(min_value=min_count)]
    out += [E.ExpectColumnToExist(column=c) for c in required if c not in present]
    out += [E.ExpectColumnValuesToNotBeNull(column=c) for c in df.columns]
    bounds: dict[str, dict[str, Any]] = {
        "pitch": {"min_value": -max_abs_pitch_rad, "max_value": max_abs_pitch_rad},
        "yaw": {"min_value": -max_abs_yaw_rad, "max_value": max_abs_yaw_rad},
        "gaze_x": {"min_value": -1.0, "max_value": 1.0},
        "gaze_y": {"min_value": -1.0, "max_value": 1.0},
        "gaze_z": {"min_value": -1.0, "max_value": 1.0},
        "image_mean": {"min_value": IMAGE_MEAN_RANGE[0], "max_value": IMAGE_MEAN_RANGE[1]},
        "image_std": {"min_value": MIN_IMAGE_STD},
        "lm_x_min": {"min_value": 0.0, "max_value": float(width), "mostly": LANDMARKS_MOSTLY},
        "lm_x_max": {"min_value": 0.0, "max_value": float(width), "mostly": LANDMARKS_MOSTLY},
        "lm_y_min": {"min_value": 0.0, "max_value": float(height), "mostly": LANDMARKS_MOSTLY},
        "lm_y_max": {"min_value": 0.0, "max_value": float(height), "mostly": LANDMARKS_MOSTLY},
    }
    out += [E.ExpectColumnValuesToBeBetween(column=c, **kw) for c, kw in bounds.items()
            if c in present]
    if "gaze_z" in present:
        out.append(E.ExpectColumnValuesToBeBetween(
            column="gaze_z", max_value=0.0, strict_max=True, mostly=GAZE_Z_NEGATIVE_MOSTLY))
    if "key" in present:
        out.append(E.ExpectColumnValuesToBeUnique(column="key"))
    if "split" in present:
        out.append(E.ExpectColumnValuesToBeInSet(column="split", value_set=[split]))
    for lo, hi in (("lm_x_min", "lm_x_max"), ("lm_y_min", "lm_y_max")):
        if {lo, hi} <= present:
            out.append(E.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A=hi, column_B=lo, or_equal=True))
    return out


def _fmt(value: Any) -> str:
    """Short text of a value: floats to 4 significant digits (0.0 stays "0.0")."""
    if isinstance(value, float):
        text = f"{value:.4g}"
        return text if any(c in text for c in ".eni") else text + ".0"  # e, nan, inf
    return repr(value) if isinstance(value, str) else str(value)


def _describe(kind: str, kw: Mapping[str, Any]) -> tuple[str, str]:
    """(readable expectation, column) from an expectation's type and kwargs."""
    column = kw.get("column") or ",".join(
        c for c in (kw.get("column_A"), kw.get("column_B")) if c)
    lo, hi = kw.get("min_value"), kw.get("max_value")
    if kind == "expect_table_row_count_to_be_between":
        detail = f"rows >= {lo}"
    elif lo is not None and hi is not None:
        lo_op, hi_op = ("<" if kw.get(k) else "<=" for k in ("strict_min", "strict_max"))
        detail = f"{_fmt(lo)} {lo_op} {column} {hi_op} {_fmt(hi)}"
    elif lo is not None:
        detail = f"{column} {'>' if kw.get('strict_min') else '>='} {_fmt(lo)}"
    elif hi is not None:
        detail = f"{column} {'<' if kw.get('strict_max') else '<='} {_fmt(hi)}"
    elif kind == "expect_column_values_to_be_in_set":
        detail = f"{column} in {kw.get('value_set')}"
    elif kind == "expect_column_pair_values_a_to_be_greater_than_b":
        detail = f"{kw['column_A']} {'>=' if kw.get('or_equal') else '>'} {kw['column_B']}"
    else:
        detail = column
    if kw.get("mostly") not in (None, 1, 1.0):
        detail += f", mostly {kw['mostly']}"
    return f"{kind}({detail})", column


def _exception_messages(info: Mapping[str, Any]) -> list[str]:
    """GX reports an exception either flat ({"raised_exception": ...}) or per metric
    ({"MetricConfigurationID(...)": {"raised_exception": ...}}): collect the messages."""
    entries = [info] if "raised_exception" in info else list(info.values())
    return [str(e.get("exception_message")) for e in entries
            if isinstance(e, Mapping) and e.get("raised_exception")]


def _observed(
    kind: str, success: bool, result: Mapping[str, Any], exception: Mapping[str, Any]
) -> str:
    """A short text of what GX saw (counts, percentages, a few offending values)."""
    if messages := _exception_messages(exception):
        return "error: " + "; ".join(sorted(set(messages)))
    if kind == "expect_column_to_exist":
        return "column present" if success else "column missing"
    if "unexpected_count" in result:
        count, total = result["unexpected_count"], result.get("element_count", 0)
        text = f"{count} of {total} rows ({result.get('unexpected_percent') or 0.0:.1f}%)"
        # distinct values (a duplicated key is listed once), in the order GX met them
        examples = list(dict.fromkeys(map(_fmt, result.get("partial_unexpected_list") or [])))
        if examples:
            text += ", e.g. " + ", ".join(examples[:_EXAMPLES])
        return text
    if "observed_value" in result:
        return f"observed {_fmt(result['observed_value'])}"
    return "no observation"


def _rows(split: str, suite_result: Any) -> list[ExpectationRow]:
    rows = []
    for r in suite_result.results:
        cfg = r.expectation_config
        kw = {k: v for k, v in cfg.kwargs.items() if k != "batch_id"}
        text, column = _describe(cfg.type, kw)
        observed = _observed(cfg.type, bool(r.success), r.result or {}, r.exception_info or {})
        rows.append(ExpectationRow(split, text, column, bool(r.success), observed))
    return rows


def _cross_split_keys(manifests: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """(key, split) of every split that has a key column: keys must be unique across all."""
    parts = [pd.DataFrame({"key": df["key"], "split": name})
             for name, df in manifests.items() if "key" in df.columns]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame({"key": []})


def _check_split_names(manifests: Mapping[str, Any], min_counts: Mapping[str, int]) -> None:
    if set(manifests) != set(min_counts):
        raise ValueError(
            f"manifest splits {sorted(manifests)} differ from min_counts {sorted(min_counts)}")
    for name in manifests:
        if not _SPLIT_NAME.match(name) or name == ALL_SPLITS:
            raise ValueError(f"invalid split name {name!r}")


def run_suites(frames: Mapping[str, pd.DataFrame],
               build: Callable[[Any, str, pd.DataFrame], list[Any]],
               docs_dir: Path, run_name: str) -> list[ExpectationRow]:
    """Validate each named frame against the expectations `build(gx, name, frame)` returns,
    in a throwaway file-mode GX project; copy its Data Docs into `docs_dir`."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx  # deferred: 4-6 s
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.base import ProgressBarsConfig

    rows: list[ExpectationRow] = []
    with tempfile.TemporaryDirectory(prefix="gx-") as root:
        ctx = gx.get_context(mode="file", project_root_dir=root)
        ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        ctx.enable_analytics(False)  # also saves the variables above
        source = ctx.data_sources.add_pandas("frames")
        run_id = RunIdentifier(run_name=run_name)
        for name, df in frames.items():
            suite = ctx.suites.add(gx.ExpectationSuite(name=name, expectations=build(gx, name, df)))
            batch = source.add_dataframe_asset(name).add_batch_definition_whole_dataframe("all")
            definition = ctx.validation_definitions.add(
                gx.ValidationDefinition(name=name, data=batch, suite=suite))
            result = definition.run(
                batch_parameters={"dataframe": df}, result_format="SUMMARY", run_id=run_id)
            rows += _rows(name, result)
        ctx.build_data_docs()
        site = Path(root) / "gx" / "uncommitted" / "data_docs" / "local_site"
        if not (site / "index.html").is_file():
            raise RuntimeError(f"GX built no Data Docs index under {site}")
        atomic_replace_dir(site, docs_dir)
    return rows


def validate_manifests(
    manifests: dict[str, pd.DataFrame],
    *,
    min_counts: dict[str, int],
    image_hw: tuple[int, int],
    max_abs_pitch_deg: float,
    max_abs_yaw_deg: float,
    docs_dir: Path,
) -> ValidationReport:
    """Validate every split's manifest with GX; build Data Docs into `docs_dir`.

    Returns the report; the caller raises with `report.summary()` when not
    `report.success`. image_hw is the crop's (H, W) in pixels (landmark bounds).
    """
    def split_suite(gx: Any, split: str, df: pd.DataFrame) -> list[Any]:
        return _expectations(
            gx, df, min_count=min_counts[split], split=split, image_hw=image_hw,
            max_abs_pitch_rad=math.radians(max_abs_pitch_deg),
            max_abs_yaw_rad=math.radians(max_abs_yaw_deg))

    return validate_split_manifests(manifests, min_counts, split_suite, docs_dir)


def validate_split_manifests(
    manifests: dict[str, pd.DataFrame],
    min_counts: Mapping[str, int],
    split_suite: Callable[[Any, str, pd.DataFrame], list[Any]],
    docs_dir: Path,
) -> ValidationReport:
    """Any domain's manifests: `split_suite(gx, split, frame)` per split, plus keys unique
    across all splits; Data Docs into `docs_dir`."""
    _check_split_names(manifests, min_counts)
    frames: dict[str, pd.DataFrame] = {**manifests, ALL_SPLITS: _cross_split_keys(manifests)}

    def build(gx: Any, split: str, df: pd.DataFrame) -> list[Any]:
        if split == ALL_SPLITS:
            return [gx.expectations.ExpectColumnValuesToBeUnique(column="key")]
        return split_suite(gx, split, df)

    rows = run_suites(frames, build, docs_dir, run_name="manifest_validation")
    rows = _name_cross_split_duplicates(rows, frames[ALL_SPLITS])
    return ValidationReport(
        success=all(r.success for r in rows), results=rows, docs_index=docs_dir / "index.html")


def _name_cross_split_duplicates(
    rows: Sequence[ExpectationRow], keys: pd.DataFrame
) -> list[ExpectationRow]:
    """Add which splits share a duplicated key to the all_splits row (GX only sees keys)."""
    out = []
    for row in rows:
        if row.split == ALL_SPLITS and not row.success and "split" in keys.columns:
            dup = keys[keys["key"].duplicated(keep=False)]
            splits = sorted(set(dup["split"]))
            row = ExpectationRow(row.split, row.expectation, row.column, row.success,
                                 f"{row.observed}; splits involved: {', '.join(splits)}")
        out.append(row)
    return out
