"""The strict params schema: every stage section checked, errors name the key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from simgan_core.domain import domain_names
from tasks.params import PER_DOMAIN, load_params, resolve_workers
from tasks.params_file import ParamsError

REPO_ROOT = Path(__file__).resolve().parents[2]


def _write(tmp_path: Path, mutate) -> Path:
    raw = yaml.safe_load((REPO_ROOT / "params.yaml").read_text())
    mutate(raw)
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def _block(raw: dict, dotted: str) -> dict:
    """raw["train_refiner"]["gaze"] for "train_refiner.gaze"."""
    for key in dotted.split("."):
        raw = raw[key]
    return raw


def _path_values(value: object, key: str = "") -> list[str]:
    """Every *_dir / *_file value in a dumped params tree."""
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _path_values(v, str(k))]
    return [value] if key.endswith(("_dir", "_file")) and isinstance(value, str) else []


def test_repository_params_load_with_relative_paths_only() -> None:
    """The shipped params are valid, and every path in them is relative: a clone runs
    from its own root on any machine."""
    params = load_params(REPO_ROOT / "params.yaml")
    paths = _path_values(params.model_dump())
    assert len(paths) > 40
    assert [p for p in paths if Path(p).is_absolute() or ".." in Path(p).parts] == []


def test_unknown_key_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path, lambda raw: raw["ingest"]["gaze"].update(max_bad_fractoin=0.1))
    with pytest.raises(ParamsError, match=r"ingest\.gaze\.max_bad_fractoin: unknown key"):
        load_params(path)


def test_missing_key_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path, lambda raw: raw["simulate"]["gaze"]["synthetic"].pop("seed"))
    with pytest.raises(ParamsError, match=r"simulate\.gaze\.synthetic\.seed: Field required"):
        load_params(path)


def test_unknown_section_and_wrong_type(tmp_path: Path) -> None:
    def mutate(raw: dict) -> None:
        raw["train_refiner_typo"] = {}
        raw["simulate"]["gaze"]["synthetic"]["n"] = "many"

    with pytest.raises(ParamsError) as err:
        load_params(_write(tmp_path, mutate))
    assert "train_refiner_typo: unknown key" in str(err.value)
    assert "simulate.gaze.synthetic.n" in str(err.value)


def test_out_of_range_and_missing_file(tmp_path: Path) -> None:
    path = _write(tmp_path, lambda raw: raw["ingest"]["gaze"].update(max_bad_fraction=1.5))
    with pytest.raises(ParamsError, match=r"ingest\.gaze\.max_bad_fraction"):
        load_params(path)
    with pytest.raises(ParamsError, match="not found"):
        load_params(tmp_path / "nope.yaml")


def test_workers_zero_means_all_cores() -> None:
    import os

    assert resolve_workers(0) == len(os.sched_getaffinity(0))  # the cores this process may use
    assert resolve_workers(3) == 3


@pytest.mark.parametrize("section, key, value", [
    ("train_refiner.gaze", "lambda_reg", float("nan")),
    ("train_refiner.hand", "disc_lr", float("inf")),
    ("train_refiner.gaze", "refiner_lr", 0.0),
    ("train_estimator.gaze", "lr", -1e-3),
    ("train_refiner.gaze", "lambda_task", float("inf")),
])
def test_non_finite_and_non_positive_numbers_are_named(tmp_path: Path, section: str, key: str,
                                                       value: float) -> None:
    path = _write(tmp_path, lambda raw: _block(raw, section).update({key: value}))
    with pytest.raises(ParamsError, match=rf"{re.escape(section)}\.{key}"):
        load_params(path)


@pytest.mark.parametrize("section, key, value", [
    ("train_refiner.gaze", "psi", "identiy"),
    ("train_refiner.gaze", "disc_mode", "locall"),
    ("train_refiner.hand", "optimizer", "adamw"),
    ("train_refiner.hand", "history_dtype", "float8"),
    ("train_refiner.gaze", "refiner", "huge"),
    ("train_refiner.gaze", "discriminator", "tiny"),
    ("train_estimator.hand", "preset", "large"),
])
def test_enum_like_fields_refuse_unknown_values_at_load(tmp_path: Path, section: str, key: str,
                                                        value: str) -> None:
    path = _write(tmp_path, lambda raw: _block(raw, section).update({key: value}))
    with pytest.raises(ParamsError, match=rf"{re.escape(section)}\.{key}"):
        load_params(path)


def test_a_negative_min_samples_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path, lambda raw: raw["ingest"]["gaze"]["min_samples"].update(synthetic=-5))
    with pytest.raises(ParamsError, match=r"ingest\.gaze\.min_samples\.synthetic"):
        load_params(path)


def test_a_duplicate_key_is_named_not_silently_overwritten(tmp_path: Path) -> None:
    text = (REPO_ROOT / "params.yaml").read_text()
    # the first lambda_reg line (train_refiner.gaze's), whatever its value and comment
    line = next(ln for ln in text.splitlines(keepends=True)
                if ln.startswith("    lambda_reg: "))
    path = tmp_path / "params.yaml"
    path.write_text(text.replace(line, line + "    lambda_reg: 9.0\n", 1))
    with pytest.raises(ParamsError, match="duplicate key 'lambda_reg'"):
        load_params(path)


def test_a_block_for_an_unknown_domain_is_named() -> None:
    params = load_params(REPO_ROOT / "params.yaml")
    assert params.unknown_domains(domain_names()) == []
    # hand has a block in every per-domain section but the unlabeled domains' ingest
    assert params.unknown_domains(["gaze", "images"]) == [
        f"{section}.hand" for section in PER_DOMAIN if section != "ingest_unlabeled"]
    assert params.unknown_domains(["gaze", "hand"]) == [
        "simulate.images", "ingest_unlabeled.images", "train_refiner.images", "refine.images"]


def test_stage_config_is_the_domain_block_and_names_a_missing_one() -> None:
    params = load_params(REPO_ROOT / "params.yaml")
    assert params.stage_config("train_refiner", "hand") is params.train_refiner["hand"]
    estimators = params.stage_config("train_estimator", "gaze")
    assert estimators.training_sets == params.training_sets
    assert estimators.steps == params.train_estimator["gaze"].steps
    with pytest.raises(ValueError, match="report has no block for domain 'images'"):
        params.stage_config("report", "images")
    # the sources' sections, whose fields are the domains
    assert params.stage_config("simulate", "hand") is params.simulate.hand
    assert params.stage_config("ingest_unlabeled", "images") is params.ingest_unlabeled.images
    with pytest.raises(ValueError, match="ingest has no block for domain 'images'"):
        params.stage_config("ingest", "images")
