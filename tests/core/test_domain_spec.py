"""The domain spec owns its headline (which metric, in which form, which way is better),
its held-out unit and its label-shift figures."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from simgan_core.gaze.spec import GAZE
from simgan_core.hand.spec import HAND
from tasks.evaluate import headline


def test_a_headline_must_be_a_known_form_on_one_of_the_domains_metrics() -> None:
    with pytest.raises(ValueError, match="headline 'median'"):
        replace(GAZE, headline="median")
    with pytest.raises(ValueError, match="'pck_5px'"):
        replace(GAZE, headline_metric="pck_5px")  # a hand metric: gaze does not write it


def test_the_headline_follows_the_spec_not_the_domain_name() -> None:
    scores = {"synthetic": {"mean_deg": 10.0, "within_7deg": 30.0},
              "refined": {"mean_deg": 8.0, "within_7deg": 36.0},
              "real_oracle": {"mean_deg": 6.0, "within_7deg": 50.0}}
    assert headline(scores, GAZE) == {"refined_over_synthetic": 0.8}
    as_gap = replace(GAZE, headline="gap_closed", headline_metric="within_7deg")
    assert headline(scores, as_gap) == {"refined_gap_closed": 0.3}
    assert not as_gap.headline_lower_is_better and GAZE.headline_lower_is_better
    assert headline({"synthetic": {"pck_5px": 20.0}}, HAND) == {"refined_gap_closed": None}


def test_a_leak_unit_must_be_known() -> None:
    with pytest.raises(ValueError, match="leak_unit 'session'"):
        replace(HAND, leak_unit="session")


@pytest.mark.parametrize("domain", [GAZE, HAND], ids=lambda d: d.name)
def test_each_domain_judges_label_shift_under_its_own_selection_key(domain) -> None:
    """The identity refiner moves no label; a refiner that flips the image moves them."""
    rng = np.random.default_rng(0)
    n, (h, w) = 48, domain.image_hw
    images = rng.integers(0, int(domain.max_value), (n, h, w), dtype=domain.dtype)
    labels = rng.normal(0.0, 0.2 if domain is GAZE else 10.0, (n, len(
        domain.label_vector({"gaze": {"pitch": 0.0, "yaw": 0.0}, "joints_uv": [[0, 0]] * 14}))))
    annotations = [{"cube_mm": 300.0}] * n
    same = domain.label_shift(domain, images, labels, annotations, images, 0.0, 30)
    assert same[domain.shift_metric] == 0.0
    flipped = domain.label_shift(domain, images, labels, annotations, images[:, ::-1, ::-1],
                                 0.5, 30)
    assert flipped[domain.shift_metric] > 0.0
