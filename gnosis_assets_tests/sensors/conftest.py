"""Fixtures for the sensor tests: a copy of the sample volumes, a local store and an instance.

The registry is the embedded SecantusDB server under the temporary GNOSIS_HOME; it starts
only in tests that flag a missing version, and is stopped at the end of each test.
"""

import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from dagster import DagsterInstance, Definitions, instance_for_test

from gnosis_assets.defs.deployment import build_resources
from gnosis_assets.defs.graph import build_asset_graph
from gnosis_assets.defs.schedules import AutomationSettings, build_schedules, build_sync_jobs
from gnosis_assets.defs.sensors import build_sensors
from gnosis_assets.defs.verification import verify_store_job
from gnosis_assets.defs.watch import WatchLimits
from gnosis_assets.registry.embedded import stop_embedded_server
from gnosis_assets.settings import SAMPLE_VOLUMES
from gnosis_assets.sync.catalog import load_catalog

# The sample files are older than this, so they count as settled; files a test writes now do not.
SETTLE_SECONDS = 600.0


@dataclass
class Workspace:
    home: Path
    volumes: Path
    instance: DagsterInstance
    defs: Definitions

    @property
    def datasets(self) -> Path:
        return self.volumes / "veridica-datasets"

    @property
    def models(self) -> Path:
        return self.volumes / "veridica-models"


def build_definitions(limits: WatchLimits) -> Definitions:
    graph = build_asset_graph(load_catalog())
    jobs = build_sync_jobs(graph)
    settings = AutomationSettings(limits=limits)
    return Definitions(
        assets=graph.all_assets,
        asset_checks=graph.checks,
        jobs=[*jobs.all, verify_store_job],
        schedules=build_schedules(jobs, settings),
        sensors=build_sensors(jobs, settings),
        resources=build_resources(),
    )


def age_tree(root: Path, seconds: float) -> None:
    """Set every file's mtime `seconds` into the past."""
    moment = time.time() - seconds
    for path in root.rglob("*"):
        os.utime(path, (moment, moment))


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    volumes = tmp_path / "volumes"
    shutil.copytree(SAMPLE_VOLUMES, volumes)
    age_tree(volumes, 2 * SETTLE_SECONDS)
    home = tmp_path / "home"
    monkeypatch.setenv("GNOSIS_HOME", str(home))
    monkeypatch.setenv("GNOSIS_VOLUMES", str(volumes))
    monkeypatch.delenv("GNOSIS_STORE", raising=False)
    monkeypatch.delenv("MONGODB_URI", raising=False)
    (tmp_path / "dagster").mkdir()
    with instance_for_test(temp_dir=str(tmp_path / "dagster")) as instance:
        try:
            yield Workspace(
                home=home,
                volumes=volumes,
                instance=instance,
                defs=build_definitions(WatchLimits(settle_seconds=SETTLE_SECONDS)),
            )
        finally:
            stop_embedded_server(home / "mongodb")
