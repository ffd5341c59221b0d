"""The train_refiner stage's pool: the candidates side by side plus one process for the
raw-synthetic judge, so that no candidate waits for the judge's slot."""

from __future__ import annotations

import pytest

from flows.train_refiner import refiner_pool_size


@pytest.mark.parametrize(("workers", "seeds", "pool"), [
    (3, 3, 4),  # the default: three candidates at once and the judge beside them
    (8, 3, 4),  # never more candidate processes than seeds
    (2, 3, 3),  # two candidates at once (the third waits for one), the judge beside
    (1, 3, 1),  # one worker: everything in turn, in the flow's own thread pool
    (4, 1, 1),  # one seed: nothing runs side by side
])
def test_the_pool_holds_the_candidates_and_the_judge(workers: int, seeds: int,
                                                     pool: int) -> None:
    assert refiner_pool_size(workers, seeds) == pool
