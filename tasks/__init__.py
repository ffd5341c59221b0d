"""Prefect tasks: thin, typed I/O wrappers around simgan_core (read -> core -> write)."""
