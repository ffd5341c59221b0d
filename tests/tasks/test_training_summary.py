"""The train_estimator stage's summary: the seeds' training-key hashes as a plain list."""

from __future__ import annotations

from tasks.train_estimator import training_summary


def test_training_key_hashes_are_a_sorted_list_of_the_distinct_ones() -> None:
    records = [{"training_set": "refined", "split": "refined", "n_train": 10,
                "train_keys_sha256": h} for h in ("bb", "aa", "bb")]
    summary = training_summary(records)
    assert summary["train_keys_sha256"] == ["aa", "bb"]
    assert summary["seeds"] == 3 and summary["n_train"] == 10
