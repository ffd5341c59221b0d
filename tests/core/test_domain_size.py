"""The size a domain's later stages use: a fixed-size domain (its networks are built for
its image_hw) refuses shards of another size with the path and both sizes; a sizable
one (images, hand) takes the size its ingested shards carry."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from gaze_shards import write_gaze_split

from simgan_core.gaze.spec import GAZE
from simgan_core.hand.spec import HAND
from simgan_core.image_source import domain_of_shards, stored_image_hw
from simgan_core.images.spec import IMAGES


def test_a_fixed_size_domain_is_itself_at_its_size_and_refuses_another() -> None:
    assert GAZE.at_size((35, 55), "here") is GAZE
    with pytest.raises(ValueError, match=r"^data/x/synthetic/index\.json: images are 36 x 60 "
                                         r"px, but the gaze domain's networks are built for "
                                         r"35 x 55 \(simgan_core/gaze/spec\.py image_hw\)"):
        GAZE.at_size((36, 60), "data/x/synthetic/index.json")


def test_a_sizable_domain_takes_any_size_and_keeps_everything_else() -> None:
    sized = IMAGES.at_size((24, 40), "here")
    assert sized.image_hw == (24, 40) and sized.stored_shape == (24, 40, 3)
    assert (sized.name, sized.channels, sized.dtype) == (IMAGES.name, IMAGES.channels,
                                                       IMAGES.dtype)
    assert IMAGES.image_hw == (32, 32)  # the spec itself unchanged
    assert sized.to_tensor(np.zeros((2, 24, 40, 3), np.uint8)).shape == (2, 3, 24, 40)
    paper = HAND.at_size((224, 224), "crops")  # the paper's crop, through ingest.hand.crop_size
    assert paper.image_hw == (224, 224) and paper.stored_shape == (224, 224)
    assert HAND.image_hw == (64, 64)


def test_the_size_is_read_from_the_shards_first_image(tmp_path: Path) -> None:
    write_gaze_split(tmp_path / "synthetic", n=20, brightness=40, seed=0)  # 35 x 55
    assert stored_image_hw(tmp_path / "synthetic" / "index.json") == (35, 55)
    assert domain_of_shards(GAZE, tmp_path) is GAZE
    assert domain_of_shards(IMAGES, tmp_path).image_hw == (35, 55)
    write_gaze_split(tmp_path / "small" / "synthetic", n=4, brightness=40, seed=0,
                     image_hw=(30, 50))
    with pytest.raises(ValueError, match=r"small/synthetic/index\.json: images are 30 x 50 "
                                         r"px, but the gaze domain"):
        domain_of_shards(GAZE, tmp_path / "small")
