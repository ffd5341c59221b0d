"""The human-facing report: result tables, matplotlib figures and the Jinja2 HTML page.

Pure presentation code (no Prefect, no file I/O): `tasks/report.py` reads the stage
outputs and writes the page. Kept out of `simgan_core`, the ML library.
"""
