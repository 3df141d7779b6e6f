"""The daemon path: `dagster-daemon run` ticks the sensor, launches the run, syncs the version.

The daemon runs as a subprocess with its own DAGSTER_HOME, a workspace that loads
`gnosis_assets.definitions`, sensors turned on by GNOSIS_AUTOMATION_RUNNING and a 3 s
interval. It starts with empty volumes, so the only run is the one for the version the test
adds. The daemon's process group and the embedded SecantusDB server are stopped at the end.
"""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from gnosis_assets.instance import INSTANCE_CONFIG
from gnosis_assets.registry.client import open_registry
from gnosis_assets.registry.embedded import stop_embedded_server
from gnosis_assets.settings import SAMPLE_VOLUMES, Settings

INTERVAL_SECONDS = 3
TIMEOUT_SECONDS = 150


def wait_for_registry(settings: Settings, source: str, version: str, daemon: subprocess.Popen):
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        assert daemon.poll() is None, "dagster-daemon exited early"
        metadata = Path(settings.store) / "datasets" / source / version / "metadata.json"
        if metadata.exists():
            with open_registry(settings) as registry:
                document = registry.dataset(source, version)
            if document is not None:
                return document
        time.sleep(1)
    return None


@pytest.mark.slow
def test_daemon_syncs_dropped_version(tmp_path: Path) -> None:
    dagster_home = tmp_path / "dagster"
    dagster_home.mkdir()
    (dagster_home / "dagster.yaml").write_text(yaml.safe_dump(INSTANCE_CONFIG), encoding="utf-8")
    workspace = tmp_path / "workspace.yaml"
    workspace.write_text(
        yaml.safe_dump(
            {
                "load_from": [
                    {
                        "python_module": {
                            "module_name": "gnosis_assets.definitions",
                            "location_name": "gnosis_assets",
                        }
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    volumes = tmp_path / "volumes"
    (volumes / "veridica-datasets").mkdir(parents=True)
    (volumes / "veridica-models").mkdir()
    home = tmp_path / "home"
    env = {
        **os.environ,
        "DAGSTER_HOME": str(dagster_home),
        "GNOSIS_HOME": str(home),
        "GNOSIS_VOLUMES": str(volumes),
        "GNOSIS_AUTOMATION_RUNNING": "1",
        "GNOSIS_SENSOR_INTERVAL_SECONDS": str(INTERVAL_SECONDS),
        "GNOSIS_REPORT_INTERVAL_SECONDS": str(INTERVAL_SECONDS),
        "GNOSIS_SENSOR_SETTLE_SECONDS": "1",
    }
    for name in ("GNOSIS_STORE", "MONGODB_URI", "GNOSIS_EXECUTION"):
        env.pop(name, None)
    log_path = tmp_path / "daemon.log"
    executable = Path(sys.executable).with_name("dagster-daemon")
    with log_path.open("wb") as log:
        daemon = subprocess.Popen(
            [str(executable), "run", "-w", str(workspace)],
            env=env,
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        time.sleep(INTERVAL_SECONDS)
        shutil.copytree(
            SAMPLE_VOLUMES / "veridica-datasets" / "chembl",
            volumes / "veridica-datasets" / "chembl",
        )
        settings = Settings.from_env({"GNOSIS_HOME": str(home), "GNOSIS_VOLUMES": str(volumes)})

        document = wait_for_registry(settings, "chembl", "chembl_27", daemon)

        assert document is not None, log_path.read_text(encoding="utf-8")[-4000:]
        assert document["file_count"] == 1
        assert document["missing_from_volume"] is False
        assert document["splits"]["default"]["files"]
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        try:
            daemon.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(daemon.pid, signal.SIGKILL)
            daemon.wait(timeout=10)
        stop_embedded_server(home / "mongodb")
