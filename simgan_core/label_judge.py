"""The label-shift judge's training set and seed, shared by every domain.

A domain's label-shift figure (`Domain.label_shift`, e.g. gaze_shift_deg) comes from a
small model trained on synthetic images and their labels, read on x and on R(x). What
that model learns from is the same for every domain: the synthetic images plus
JUDGE_AUGMENTED_COPIES copies through the domain's label-preserving augmentation.
"""

from __future__ import annotations

import numpy as np

from simgan_core.augment import augment_batch
from simgan_core.domain import Domain
from simgan_core.estimator_family import estimator_augment

# The judges' seed (C2ST classifier, label-shift regressor, real images drawn): fixed, not
# the refiner's, so that every candidate refiner meets the same judges.
JUDGE_SEED = 0
JUDGE_AUGMENTED_COPIES = 2  # augmented copies of each synthetic image the judge learns from


def judge_set(domain: Domain, images: np.ndarray, labels: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:
    """What a robust label-shift judge learns from: the synthetic images (N, H, W) and
    JUDGE_AUGMENTED_COPIES copies passed through the domain's label-preserving
    augmentation, with their (unchanged) labels (N, L). A judge trained on clean images
    only reads appearance as label: on the stand-in gaze data its reading moves 6.3 deg
    under that augmentation alone (robust judge: 2.1 deg), so it cannot tell a refiner
    that adds noise and texture from one that moves the iris."""
    rng = np.random.default_rng(JUDGE_SEED)
    augment = estimator_augment(domain)
    copies = [augment_batch(images, rng, augment) for _ in range(JUDGE_AUGMENTED_COPIES)]
    return np.concatenate([images, *copies]), np.tile(labels, (1 + len(copies), 1))
