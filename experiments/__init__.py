"""One-off measurements that explain the pipeline's results (not DVC stages)."""
