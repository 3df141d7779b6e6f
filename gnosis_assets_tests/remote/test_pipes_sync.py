"""The Pipes-backed sync assets, run through PipesSubprocessClient against the sample volumes.

The entrypoint runs as a real subprocess (`python -m gnosis_assets.remote.entrypoint`), the
same code the Modal function runs; Modal itself is not contacted. The registry is the
embedded SecantusDB server of the temporary GNOSIS_HOME, stopped after each test.
"""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from dagster import (
    AssetKey,
    DagsterEventType,
    DagsterInstance,
    EventRecordsFilter,
    instance_for_test,
    materialize,
)

from gnosis_assets.defs.deployment import build_resources
from gnosis_assets.registry.client import open_registry
from gnosis_assets.registry.embedded import stop_embedded_server
from gnosis_assets.remote.assets import (
    build_remote_dataset_asset,
    build_remote_model_asset,
    pipes_command,
    pipes_resources,
)
from gnosis_assets.remote.work import UPLOAD_CHECK
from gnosis_assets.settings import SAMPLE_VOLUMES, Settings

COMMAND = pipes_command("subprocess")


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DagsterInstance]:
    volumes = tmp_path / "volumes"
    shutil.copytree(SAMPLE_VOLUMES, volumes)
    monkeypatch.setenv("GNOSIS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GNOSIS_VOLUMES", str(volumes))
    monkeypatch.delenv("GNOSIS_STORE", raising=False)
    monkeypatch.delenv("MONGODB_URI", raising=False)
    (tmp_path / "dagster").mkdir()
    with instance_for_test(temp_dir=str(tmp_path / "dagster")) as dagster_instance:
        try:
            yield dagster_instance
        finally:
            stop_embedded_server(tmp_path / "home" / "mongodb")


def sync_dataset(instance: DagsterInstance, source: str, version: str):
    instance.add_dynamic_partitions(f"{source}_versions", [version])
    return materialize(
        [build_remote_dataset_asset(source, COMMAND)],
        partition_key=version,
        instance=instance,
        resources={**build_resources(), **pipes_resources()},
        raise_on_error=False,
    )


def latest_metadata(instance: DagsterInstance, key: AssetKey) -> dict:
    event = instance.get_latest_materialization_event(key)
    assert event is not None
    materialization = event.asset_materialization
    assert materialization is not None
    return {name: value.value for name, value in materialization.metadata.items()}


def check_evaluations(instance: DagsterInstance) -> list:
    records = instance.get_event_records(
        EventRecordsFilter(event_type=DagsterEventType.ASSET_CHECK_EVALUATION)
    )
    return [record.event_log_entry.dagster_event.event_specific_data for record in records]


def test_pipes_dataset_sync_reports_assets_and_check(instance: DagsterInstance) -> None:
    result = sync_dataset(instance, "chembl", "chembl_27")

    assert result.success
    dataset = latest_metadata(instance, AssetKey(["datasets", "chembl"]))
    assert dataset["file_count"] == 1
    assert dataset["outcome"] == "published"
    assert len(dataset["content_hash"]) == 64
    assert dataset["s3_prefix"].endswith("datasets/chembl/chembl_27/")
    splits = latest_metadata(instance, AssetKey(["splits", "chembl"]))
    assert splits["split_sets"] == 1
    assert splits["split_files"] == 3
    record = latest_metadata(instance, AssetKey(["registry", "datasets", "chembl"]))
    assert record["registry_id"] == "chembl/chembl_27"
    assert record["changed"] is True
    checks = check_evaluations(instance)
    assert [(c.check_name, c.passed) for c in checks] == [(UPLOAD_CHECK, True)]
    assert checks[0].metadata["objects_checked"].value == 4
    with open_registry(Settings.from_env()) as registry:
        stored = registry.dataset("chembl", "chembl_27")
    assert stored is not None
    assert stored["content_hash"] == dataset["content_hash"]


def test_pipes_second_sync_uploads_nothing(instance: DagsterInstance) -> None:
    first = sync_dataset(instance, "chembl", "chembl_27")
    second = sync_dataset(instance, "chembl", "chembl_27")

    assert first.success
    assert second.success
    dataset = latest_metadata(instance, AssetKey(["datasets", "chembl"]))
    assert dataset["outcome"] == "unchanged"
    assert dataset["uploaded_bytes"] == 0
    record = latest_metadata(instance, AssetKey(["registry", "datasets", "chembl"]))
    assert record["changed"] is False


def test_pipes_failed_version_fails_the_run(instance: DagsterInstance) -> None:
    folder = Path(Settings.from_env().volumes) / "veridica-datasets" / "chembl" / "broken"
    folder.mkdir()
    (folder / "link.csv").symlink_to("/etc/hostname")

    result = sync_dataset(instance, "chembl", "broken")

    assert not result.success
    assert instance.get_latest_materialization_event(AssetKey(["datasets", "chembl"])) is None
    with open_registry(Settings.from_env()) as registry:
        assert registry.dataset("chembl", "broken") is None


def test_pipes_model_sync_records_artifacts(instance: DagsterInstance) -> None:
    assert sync_dataset(instance, "gdsc", "gdsc_v17").success
    instance.add_dynamic_partitions("gnosis_ii_versions", ["v1"])

    result = materialize(
        [build_remote_model_asset("gnosis-ii", ("gdsc",), COMMAND)],
        partition_key="v1",
        instance=instance,
        resources={**build_resources(), **pipes_resources()},
    )

    assert result.success
    reports = latest_metadata(instance, AssetKey(["models", "gnosis-ii", "eval_reports"]))
    assert reports["file_count"] == 3
    record = latest_metadata(instance, AssetKey(["registry", "models", "gnosis-ii"]))
    assert record["artifacts"] == 3
    with open_registry(Settings.from_env()) as registry:
        assert registry.model("gnosis-ii", "v1") is not None
        assert len(registry.artifacts("gnosis-ii", "v1")) == 3
