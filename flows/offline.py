"""Process environment every entry point sets before importing prefect, dvc or GX.

No analytics, no network, quiet progress bars. Must run before `import prefect`,
because Prefect reads its settings from the environment when it is imported.
"""

from __future__ import annotations

import os

OFFLINE_ENV = {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_UI_ENABLED": "false",  # the per-run helper server has no UI; see README
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    "PREFECT_LOGGING_LEVEL": "INFO",
    "DVC_NO_ANALYTICS": "1",
    "GX_ANALYTICS_ENABLED": "False",
    "TQDM_DISABLE": "1",
}


def set_offline_env() -> None:
    """Set the offline defaults, keeping any value the user exported already."""
    for name, value in OFFLINE_ENV.items():
        os.environ.setdefault(name, value)
