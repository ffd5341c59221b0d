"""The weights of a label-matched training set (simgan_core/label_match.py): its
pseudo-labeler's predictions on the set's own images against its predictions on the
unlabeled real_train images. Only real_train's PNGs are decoded (IndexedImages never
parses an annotation), so no real label is read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from torch import nn

from simgan_core.domain import get_domain
from simgan_core.estimator_family import estimator_family
from simgan_core.image_source import IndexedImages, domain_of_shards
from simgan_core.label_match import match_weights


def real_train_images(shards_dir: Path, limit: int, domain: str) -> np.ndarray:
    """The first `limit` real_train images as stored, (M, H, W[, C]): pixels only."""
    sized = domain_of_shards(get_domain(domain), shards_dir)
    source = IndexedImages(shards_dir / "real_train" / "index.json", sized)
    count = min(len(source), limit)
    if count == 0:
        raise ValueError(f"{shards_dir / 'real_train'}: no images to pseudo-label")
    return np.stack([source[i] for i in range(count)])


def label_match_weights(labeler: nn.Module, labeler_name: str, images: np.ndarray,
                        shards_dir: Path, limit: int, domain: str
                        ) -> tuple[np.ndarray, dict[str, Any]]:
    """(N,) sampling weights for a set's N images from its pseudo-labeler (the estimator
    of the set named `labeler_name`), and what the stage records about them: how well the
    labeler's predictions tell real from the set's images (0.5: no label shift seen), the
    share of the set the weights keep, how many hit the cap."""
    family = estimator_family(get_domain(domain))
    real = real_train_images(shards_dir, limit, domain)
    matched = match_weights(family.predict(labeler, images), family.predict(labeler, real))
    return matched.weights, {
        "pseudo_labeler": labeler_name, "real_images": len(real),
        "heldout_accuracy": round(matched.heldout_accuracy, 4),
        "effective_fraction": round(matched.effective_fraction, 4),
        "capped": matched.capped}
