"""SimGAN core library: pure torch / numpy / PIL code.

Never imports prefect, dvc, great_expectations, `tasks` or `flows`, and never reads
a params file: everything arrives as typed arguments.
"""

__version__ = "0.1.0"
