"""The spread over refiner seeds in the results table and the report's headlines."""

from __future__ import annotations

from reporting.result_rows import headline_sentences, training_sets

EVALUATION = {
    "real_test_n": 10,
    "synthetic": {"mean_deg": 10.0}, "refined": {"mean_deg": 8.0},
    "refined_seed0": {"mean_deg": 8.0}, "refined_seed1": {"mean_deg": 9.0},
    "refined_over_synthetic": 0.8,
    "refiner_seeds": {"metric": "refined_over_synthetic", "per_seed": {"0": 0.8, "1": 0.9},
                      "mean": 0.85, "min": 0.8, "max": 0.9, "real_test_ranking": [0, 1]},
}


def test_seed_rows_are_training_sets_and_the_block_is_not() -> None:
    assert training_sets(EVALUATION) == ["synthetic", "refined", "refined_seed0",
                                         "refined_seed1"]


def test_a_headline_gives_the_spread_over_refiner_seeds() -> None:
    sentences = headline_sentences(EVALUATION)
    assert len(sentences) == 2
    assert "Over 2 refiner seeds" in sentences[1]
    assert "0.850 on average, from 0.800 to 0.900" in sentences[1]
    assert "seed 0: 0.800, seed 1: 0.900" in sentences[1]
    assert len(headline_sentences({k: v for k, v in EVALUATION.items()
                                   if k != "refiner_seeds"})) == 1


def test_a_ratio_within_the_seeds_spread_is_called_no_clear_effect() -> None:
    from reporting.result_rows import ratio_sentence

    close = {"synthetic": {"mean_deg": 9.85, "mean_deg_std": 0.42},
             "refined": {"mean_deg": 9.70, "mean_deg_std": 0.82}, "refined_over_synthetic": 0.985}
    assert "no clear effect" in ratio_sentence(close)
    far = {**close, "refined": {"mean_deg": 8.0, "mean_deg_std": 0.3},
           "refined_over_synthetic": 0.812}
    assert "refinement reduced the error" in ratio_sentence(far)
