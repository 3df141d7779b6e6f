"""The Dagster instance under the state folder, shared by the CLI and `dagster dev`."""

import contextlib
import fcntl
import logging
import os
import sys

import yaml
from dagster import DagsterInstance

from gnosis_assets.settings import Settings

log = logging.getLogger(__name__)

# Kept equal to the repository's dagster.yaml by a test, so an installed package needs no
# checkout to build its instance.
INSTANCE_CONFIG = {
    "telemetry": {"enabled": False},
    "storage": {"sqlite": {"base_dir": {"env": "DAGSTER_HOME"}}},
    "concurrency": {"runs": {"max_concurrent_runs": 2}},
    "run_monitoring": {"enabled": True, "max_resume_run_attempts": 0},
}


def open_instance(settings: Settings) -> DagsterInstance:
    """Return the persistent instance in `$GNOSIS_HOME/dagster`, creating its dagster.yaml."""
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    os.environ["DAGSTER_HOME"] = str(home)
    # Two commands starting at once on a new state folder would otherwise create the SQLite
    # tables, or run the migrations below, at the same time.
    with (home / ".instance.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        config_path = home / "dagster.yaml"
        if not config_path.exists():
            config_path.write_text(
                yaml.safe_dump(INSTANCE_CONFIG, sort_keys=False), encoding="utf-8"
            )
        instance = DagsterInstance.from_config(str(home))
        # A process killed while the instance created its SQLite tables leaves some tables
        # missing. Until an open has completed once, run the (idempotent) migrations.
        ready = home / ".gnosis-instance-ready"
        if not ready.exists():
            # Dagster's SQLite storage prints its progress; stdout is reserved for command
            # output.
            with contextlib.redirect_stdout(sys.stderr):
                instance.upgrade(print_fn=log.info)
            ready.write_text("the Dagster instance storage is complete\n", encoding="utf-8")
    return instance
