"""Prefect flows: composition only, one flow per DVC stage (plus the CLI)."""
