"""Volume sensor ticks over a copy of the sample volumes, with a real Dagster instance.

Each test evaluates ticks with `build_sensor_context` and applies the dynamic-partition
requests itself, as the daemon would. Runs are not launched here (see test_daemon.py), and run
keys are compared directly because only the daemon skips a run key it has seen.
"""

import json
import os
import shutil
import time
from pathlib import Path

from dagster import SensorResult, build_sensor_context

from gnosis_assets.defs.deployment import build_resources
from gnosis_assets.defs.fingerprints import CURSOR_FORMAT, VolumeCursor
from gnosis_assets.defs.sensors import FINGERPRINT_TAG, REASON_TAG
from gnosis_assets.defs.watch import WatchLimits
from gnosis_assets.registry.client import open_registry
from gnosis_assets.settings import Settings
from gnosis_assets_tests.sensors.conftest import (
    SETTLE_SECONDS,
    Workspace,
    age_tree,
    build_definitions,
)

SAMPLE_DATASETS = ["bindingdb/bindingdb_2015m10", "chembl/chembl_27", "gdsc/gdsc_v17"]


def tick(workspace: Workspace, cursor: str | None, sensor: str = "datasets_volume_sensor"):
    """Evaluate one tick and apply its partition requests to the instance."""
    definition = workspace.defs.get_repository_def().get_sensor_def(sensor)
    with build_sensor_context(
        instance=workspace.instance,
        cursor=cursor,
        definitions=workspace.defs,
        resources=build_resources(),
    ) as context:
        result = definition(context)
    assert isinstance(result, SensorResult)
    for request in result.dynamic_partitions_requests or []:
        workspace.instance.add_dynamic_partitions(
            request.partitions_def_name, list(request.partition_keys)
        )
    return result


def run_keys(result: SensorResult) -> list[str]:
    return sorted(request.run_key or "" for request in result.run_requests or [])


def add_version(root: Path, source: str, version: str, files: dict[str, bytes]) -> Path:
    folder = root / source / version
    folder.mkdir(parents=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


def test_first_tick_requests_every_version(workspace: Workspace) -> None:
    result = tick(workspace, None)

    keys = run_keys(result)
    assert [key.split("@")[0] for key in keys] == SAMPLE_DATASETS
    jobs = sorted(request.job_name or "" for request in result.run_requests or [])
    assert jobs == ["sync_dataset_bindingdb", "sync_dataset_chembl", "sync_dataset_gdsc"]
    partitions = {
        request.partitions_def_name: list(request.partition_keys)
        for request in result.dynamic_partitions_requests or []
    }
    assert partitions == {
        "bindingdb_versions": ["bindingdb_2015m10"],
        "chembl_versions": ["chembl_27"],
        "gdsc_versions": ["gdsc_v17"],
    }
    for request in result.run_requests or []:
        assert request.tags[REASON_TAG] == "new"
        assert request.run_key == f"{request.run_key.split('@')[0]}@{request.tags[FINGERPRINT_TAG]}"
    cursor = json.loads(result.cursor or "")
    assert cursor["format"] == CURSOR_FORMAT
    assert sorted(cursor["synced"]) == SAMPLE_DATASETS
    assert all(len(digest) == 16 for digest in cursor["synced"].values())


def test_models_sensor_requests_model_versions(workspace: Workspace) -> None:
    result = tick(workspace, None, sensor="models_volume_sensor")

    assert [key.split("@")[0] for key in run_keys(result)] == ["gnosis-i/v1", "gnosis-ii/v1"]
    jobs = sorted(request.job_name or "" for request in result.run_requests or [])
    assert jobs == ["sync_model_gnosis_i", "sync_model_gnosis_ii"]


def test_unchanged_volume_requests_nothing(workspace: Workspace) -> None:
    first = tick(workspace, None)
    second = tick(workspace, first.cursor)
    third = tick(workspace, second.cursor)

    assert run_keys(second) == []
    assert run_keys(third) == []
    assert not second.dynamic_partitions_requests
    assert json.loads(third.cursor or "")["synced"] == json.loads(first.cursor or "")["synced"]


def test_new_version_adds_partition_and_run(workspace: Workspace) -> None:
    first = tick(workspace, None)
    folder = add_version(
        workspace.datasets, "chembl", "chembl_28", {"EGFR_compounds.csv": b"smiles\nC\n"}
    )
    age_tree(folder, 2 * SETTLE_SECONDS)

    result = tick(workspace, first.cursor)

    assert [key.split("@")[0] for key in run_keys(result)] == ["chembl/chembl_28"]
    request = (result.run_requests or [])[0]
    assert request.partition_key == "chembl_28"
    assert request.job_name == "sync_dataset_chembl"
    assert request.tags[REASON_TAG] == "new"
    requests = result.dynamic_partitions_requests or []
    assert [(r.partitions_def_name, list(r.partition_keys)) for r in requests] == [
        ("chembl_versions", ["chembl_28"])
    ]


def test_same_size_change_gives_one_new_run(workspace: Workspace) -> None:
    first = tick(workspace, None)
    path = workspace.datasets / "chembl" / "chembl_27" / "EGFR_compounds.csv"
    data = path.read_bytes()
    stat = path.stat()
    path.write_bytes(data[:-2] + b"9\n" if data[-2:] != b"9\n" else data[:-2] + b"8\n")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert path.stat().st_size == stat.st_size

    changed = tick(workspace, first.cursor)
    again = tick(workspace, changed.cursor)

    old_key = next(key for key in run_keys(first) if key.startswith("chembl/"))
    assert len(run_keys(changed)) == 1
    new_key = run_keys(changed)[0]
    assert new_key.startswith("chembl/chembl_27@")
    assert new_key != old_key
    assert (changed.run_requests or [])[0].tags[REASON_TAG] == "changed"
    assert not changed.dynamic_partitions_requests
    assert run_keys(again) == []


def test_removed_version_is_flagged_not_deleted(workspace: Workspace) -> None:
    settings = Settings.from_env()
    with open_registry(settings) as registry:
        registry.db.datasets.insert_one(
            {"_id": "gdsc/gdsc_v17", "source": "gdsc", "version": "gdsc_v17"}
        )
    stored = Path(settings.store) / "datasets" / "gdsc" / "gdsc_v17" / "metadata.json"
    stored.parent.mkdir(parents=True)
    stored.write_text("{}", encoding="utf-8")
    first = tick(workspace, None)
    shutil.rmtree(workspace.datasets / "gdsc" / "gdsc_v17")

    absent_once = tick(workspace, first.cursor)
    with open_registry(settings) as registry:
        flag_after_one_tick = registry.dataset("gdsc", "gdsc_v17")
    absent_twice = tick(workspace, absent_once.cursor)
    with open_registry(settings) as registry:
        flag_after_two_ticks = registry.dataset("gdsc", "gdsc_v17")

    assert run_keys(absent_once) == []
    assert run_keys(absent_twice) == []
    assert flag_after_one_tick is not None
    assert "missing_from_volume" not in flag_after_one_tick
    assert flag_after_two_ticks is not None
    assert flag_after_two_ticks["missing_from_volume"] is True
    assert json.loads(absent_twice.cursor or "")["missing"] == ["gdsc/gdsc_v17"]
    assert stored.exists()


def test_returned_version_is_unflagged_and_synced(workspace: Workspace) -> None:
    backup = workspace.home.parent / "gdsc_backup"
    first = tick(workspace, None)
    shutil.move(workspace.datasets / "gdsc" / "gdsc_v17", backup)
    cursor = tick(workspace, tick(workspace, first.cursor).cursor).cursor
    shutil.move(backup, workspace.datasets / "gdsc" / "gdsc_v17")

    result = tick(workspace, cursor)

    assert [key.split("@")[0] for key in run_keys(result)] == ["gdsc/gdsc_v17"]
    assert (result.run_requests or [])[0].tags[REASON_TAG] == "returned"
    assert json.loads(result.cursor or "")["missing"] == []


def test_file_being_written_waits_until_stable(workspace: Workspace) -> None:
    first = tick(workspace, None)
    folder = add_version(workspace.datasets, "chembl", "chembl_29", {"EGFR_compounds.csv": b"a\n"})

    while_writing = tick(workspace, first.cursor)
    with (folder / "EGFR_compounds.csv").open("ab") as handle:
        handle.write(b"b\n")
    still_writing = tick(workspace, while_writing.cursor)
    stable = tick(workspace, still_writing.cursor)
    after = tick(workspace, stable.cursor)

    assert run_keys(while_writing) == []
    assert run_keys(still_writing) == []
    assert "chembl/chembl_29" in json.loads(still_writing.cursor or "")["pending"]
    assert [key.split("@")[0] for key in run_keys(stable)] == ["chembl/chembl_29"]
    assert run_keys(after) == []


def test_listing_in_chunks_covers_every_version(workspace: Workspace) -> None:
    for index in range(12):
        add_version(
            workspace.datasets, "chembl", f"extra_{index:02d}", {"a.csv": f"x\n{index}\n".encode()}
        )
    age_tree(workspace.datasets, 2 * SETTLE_SECONDS)
    workspace.defs = build_definitions(WatchLimits(settle_seconds=SETTLE_SECONDS, max_versions=4))

    cursor = None
    requested: list[str] = []
    chunks = []
    for _ in range(5):
        result = tick(workspace, cursor)
        chunks.append(len(result.run_requests or []))
        requested += run_keys(result)
        cursor = result.cursor

    assert chunks == [4, 4, 4, 3, 0]
    assert len(requested) == 15
    assert len(set(requested)) == 15


def test_chunked_round_robin_sees_late_change(workspace: Workspace) -> None:
    workspace.defs = build_definitions(WatchLimits(settle_seconds=SETTLE_SECONDS, max_versions=1))
    cursor = None
    for _ in range(3):
        cursor = tick(workspace, cursor).cursor
    path = workspace.datasets / "gdsc" / "gdsc_v17" / "GDSC1_drug_list_2019-06-24.csv"
    moment = time.time() - 2 * SETTLE_SECONDS + 5
    os.utime(path, (moment, moment))

    found = []
    for _ in range(3):
        result = tick(workspace, cursor)
        found += run_keys(result)
        cursor = result.cursor

    assert [key.split("@")[0] for key in found] == ["gdsc/gdsc_v17"]


def test_restart_from_saved_cursor_requests_nothing(workspace: Workspace) -> None:
    saved = tick(workspace, None).cursor
    workspace.defs = build_definitions(WatchLimits(settle_seconds=SETTLE_SECONDS))

    result = tick(workspace, saved)

    assert run_keys(result) == []


def test_unknown_cursor_repeats_the_same_run_keys(workspace: Workspace) -> None:
    first = tick(workspace, None)

    for cursor in ("not json", json.dumps({"format": 0, "seen": {}}), json.dumps([1, 2])):
        result = tick(workspace, cursor)
        assert run_keys(result) == run_keys(first)
        assert json.loads(result.cursor or "")["format"] == CURSOR_FORMAT


def test_cursor_stays_small(workspace: Workspace) -> None:
    cursor = VolumeCursor(synced={f"chembl/v{index:05d}": "0" * 16 for index in range(5000)})

    assert len(cursor.to_json()) < 200_000
    assert VolumeCursor.from_json(cursor.to_json()) == cursor
