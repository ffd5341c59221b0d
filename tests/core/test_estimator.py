"""The downstream gaze estimator: presets, seeded training, the vector path, metrics."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
import torch

from simgan_core.gaze.conventions import angular_error_deg, pitchyaw_to_gaze
from simgan_core.gaze.estimator import (
    EstimatorConfig,
    PaperGazeNet,
    angular_errors_deg,
    build_estimator,
    error_cdf,
    error_summary,
    predict_pitchyaw,
    train_estimator,
)


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    """Tiny ops: one thread avoids OpenMP spin-waits that make a busy 2-core box far slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _blob_images(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A learnable toy: a dark background with a bright blob whose position encodes gaze.

    Pitch (up is positive) moves the blob up, yaw moves it sideways; both in +-0.4 rad.
    Returns (n, 35, 55) uint8 and (n, 2) radians.
    """
    rng = np.random.default_rng(seed)
    py = rng.uniform(-0.4, 0.4, (n, 2))
    rows = 17.0 - py[:, 0] / 0.4 * 11.0
    cols = 27.0 + py[:, 1] / 0.4 * 20.0
    yy, xx = np.mgrid[:35, :55]
    d2 = (yy[None] - rows[:, None, None]) ** 2 + (xx[None] - cols[:, None, None]) ** 2
    images = 30 + 200 * np.exp(-d2 / (2 * 3.0**2)) + rng.normal(0, 3, (n, 35, 55))
    return np.clip(images, 0, 255).astype(np.uint8), py


def test_presets_give_the_documented_output_shapes() -> None:
    x = torch.zeros(2, 1, 35, 55)
    assert build_estimator("default")(x).shape == (2, 2)
    wide = build_estimator("wide")  # the same CNN at twice the width: 73k weights, not 31k
    assert wide(x).shape == (2, 2) and wide.predicts == "pitchyaw"
    n_weights = [sum(p.numel() for p in build_estimator(k).parameters())
                 for k in ("default", "wide")]
    assert 2 * n_weights[0] < n_weights[1] < 4 * n_weights[0]
    paper = build_estimator("paper")
    assert paper(x).shape == (2, 3)
    assert paper.predicts == "vector"
    # FC9600 read as the flattened 192 x 5 x 10 features of a 35 x 55 input.
    assert paper.net.features(x).shape == (2, 192, 5, 10)
    assert isinstance(paper.net, PaperGazeNet) and paper.net.head[1].in_features == 9600
    with pytest.raises(ValueError, match="preset"):
        build_estimator("resnet")


def test_training_learns_a_toy_problem_well_below_a_constant_guess() -> None:
    x, y = _blob_images(384, seed=0)
    test_x, test_y = _blob_images(128, seed=1)
    cfg = EstimatorConfig(steps=80, batch_size=16, lr=3e-3, seed=0)  # about 0.08x, in 1 s
    model = train_estimator(x, y, cfg)
    errors = angular_errors_deg(model, test_x, test_y)
    constant = angular_error_deg(np.broadcast_to(y.mean(axis=0), test_y.shape), test_y)
    assert errors.shape == (128,)
    assert errors.mean() < 0.25 * constant.mean(), (errors.mean(), constant.mean())


def test_same_seed_same_weights_other_seed_differs() -> None:
    x, y = _blob_images(32, seed=0)
    cfg = EstimatorConfig(steps=3, batch_size=8, seed=5, augment=True)
    rng_before = torch.get_rng_state()
    a = train_estimator(x, y, cfg).state_dict()
    assert torch.equal(torch.get_rng_state(), rng_before)  # global generator untouched
    b = train_estimator(x, y, cfg).state_dict()
    c = train_estimator(x, y, EstimatorConfig(steps=3, batch_size=8, seed=6, augment=True))
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c.state_dict()[k]) for k in a)


def test_augmentation_changes_what_is_learned() -> None:
    x, y = _blob_images(32, seed=0)
    plain = train_estimator(x, y, EstimatorConfig(steps=3, batch_size=8)).state_dict()
    augmented = train_estimator(x, y, EstimatorConfig(steps=3, batch_size=8, augment=True))
    assert not all(torch.equal(plain[k], augmented.state_dict()[k]) for k in plain)


def test_log_gets_every_step_and_the_schedules_behave() -> None:
    x, y = _blob_images(16, seed=0)
    logs: dict[str, list[dict[str, float]]] = {"cosine": [], "constant": []}
    for schedule, out in logs.items():
        train_estimator(x, y, EstimatorConfig(steps=4, batch_size=4, schedule=schedule),
                        log=lambda step, values, out=out: out.append({"step": step, **values}))
    assert [v["step"] for v in logs["cosine"]] == [0, 1, 2, 3]
    assert all(np.isfinite(v["loss"]) for v in logs["cosine"])
    assert [v["lr"] for v in logs["constant"]] == [1e-3] * 4
    cosine_lr = [v["lr"] for v in logs["cosine"]]
    assert cosine_lr[0] == 1e-3 and cosine_lr == sorted(cosine_lr, reverse=True)
    assert cosine_lr[-1] < 1e-3


def test_paper_preset_predicts_gaze_vectors_in_the_project_convention() -> None:
    model = build_estimator("paper")
    true = np.array([[0.2, -0.3], [-0.1, 0.25], [0.0, 0.0]])
    last = model.net.head[-1]
    with torch.no_grad():  # a constant output: an unnormalised vector along true[0]
        last.weight.zero_()
        last.bias.copy_(torch.from_numpy(2.5 * pitchyaw_to_gaze(true[0])).float())
    images = np.full((3, 35, 55), 128, np.uint8)
    np.testing.assert_allclose(predict_pitchyaw(model, images), np.repeat(true[:1], 3, 0),
                               atol=1e-6)
    errors = angular_errors_deg(model, images, true)
    np.testing.assert_allclose(errors, angular_error_deg(true[:1], true), atol=1e-4)
    assert errors[0] < 1e-3 and errors[1] > 10
    # The Euclidean loss: squared L2 distance between vectors, averaged over the batch.
    out, target = torch.tensor([[1.0, 2.0, 2.0], [0.0, 0.0, 0.0]]), torch.zeros(2, 3)
    assert model.loss(out, target).item() == pytest.approx(4.5)


def test_paper_preset_trains_a_step_and_predicts_finite_angles() -> None:
    x, y = _blob_images(8, seed=0)
    model = train_estimator(x, y, EstimatorConfig(preset="paper", steps=2, batch_size=4))
    pred = predict_pitchyaw(model, x)
    assert pred.shape == (8, 2) and pred.dtype == np.float64 and np.isfinite(pred).all()


def test_predict_restores_the_training_mode() -> None:
    model = build_estimator("default").train()
    predict_pitchyaw(model, np.zeros((3, 35, 55), np.uint8))
    assert model.training


def test_error_summary_on_known_errors() -> None:
    summary = error_summary(np.array([1.0, 5.0, 8.0, 10.0]))
    assert summary == {"mean_deg": 6.0, "median_deg": 6.5, "within_7deg": 50.0}
    assert error_summary(np.array([7.0]))["within_7deg"] == 100.0  # "within" includes 7
    with pytest.raises(ValueError, match="NaN"):
        error_summary(np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match="no errors"):
        error_summary(np.array([]))


def test_error_cdf_is_monotone_and_reaches_100() -> None:
    errors = np.random.default_rng(0).gamma(2.0, 4.0, 500)
    grid = np.linspace(0, 200, 81)
    cdf = error_cdf(errors, grid)
    assert cdf.shape == grid.shape
    assert (np.diff(cdf) >= 0).all() and cdf[0] == 0.0 and cdf[-1] == 100.0
    np.testing.assert_array_equal(error_cdf(np.array([1.0, 5.0, 8.0, 10.0]), [0, 5, 7, 10]),
                                  [0.0, 50.0, 50.0, 100.0])


def test_bad_training_input_is_rejected() -> None:
    x, y = _blob_images(4, seed=0)
    cfg = EstimatorConfig(steps=1, batch_size=2)
    with pytest.raises(ValueError, match="uint8"):
        train_estimator(x.astype(np.float32), y, cfg)
    with pytest.raises(ValueError, match="labels"):
        train_estimator(x, y[:3], cfg)
    with pytest.raises(ValueError, match="NaN"):
        train_estimator(x, np.full_like(y, np.nan), cfg)
    with pytest.raises(ValueError, match="schedule"):
        EstimatorConfig(schedule="step")
    with pytest.raises(ValueError, match="preset"):
        EstimatorConfig(preset="vgg")
