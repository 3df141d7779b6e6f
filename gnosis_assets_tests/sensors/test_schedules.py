"""The sync-report sensor, the daily refresh schedule and the weekly verification job.

Sync runs execute in process on a real instance over a copy of the sample volumes. The
registry is the embedded SecantusDB server of the temporary GNOSIS_HOME.
"""

from datetime import UTC, datetime
from pathlib import Path

from dagster import (
    DagsterEventType,
    RunRequest,
    SensorResult,
    SkipReason,
    build_schedule_context,
    build_sensor_context,
)

from gnosis_assets.defs.deployment import build_resources
from gnosis_assets.defs.schedules import TIMEZONE, TRIGGER_TAG
from gnosis_assets.registry.client import open_registry
from gnosis_assets.settings import Settings
from gnosis_assets_tests.sensors.conftest import Workspace


def sync_chembl(workspace: Workspace) -> str:
    workspace.instance.add_dynamic_partitions("chembl_versions", ["chembl_27"])
    job = workspace.defs.get_repository_def().get_job("sync_dataset_chembl")
    result = job.execute_in_process(
        partition_key="chembl_27",
        instance=workspace.instance,
        tags={TRIGGER_TAG: "sensor"},
        resources=build_resources(),
    )
    assert result.success
    return result.run_id


def report_tick(workspace: Workspace, cursor: str | None) -> SensorResult | SkipReason:
    sensor = workspace.defs.get_repository_def().get_sensor_def("sync_report_sensor")
    with build_sensor_context(instance=workspace.instance, cursor=cursor) as context:
        result = sensor(context)
    assert isinstance(result, SensorResult | SkipReason)
    return result


def test_report_sensor_writes_one_report(workspace: Workspace) -> None:
    run_id = sync_chembl(workspace)

    first = report_tick(workspace, None)
    assert isinstance(first, SensorResult)
    requests = first.run_requests or []
    assert len(requests) == 1
    config = requests[0].run_config["ops"]["datasets__sync_report"]["config"]
    assert config["run_ids"] == [run_id]
    report_job = workspace.defs.get_repository_def().get_job("sync_report_job")
    assert report_job.execute_in_process(
        run_config=requests[0].run_config, instance=workspace.instance, resources=build_resources()
    ).success
    second = report_tick(workspace, first.cursor)

    assert isinstance(second, SkipReason)
    with open_registry(Settings.from_env()) as registry:
        report = registry.latest_sync_report()
    assert report is not None
    assert report["dagster_run_ids"] == [run_id]
    assert [item["version"] for item in report["datasets"]] == ["chembl_27"]


def test_report_sensor_skips_without_runs(workspace: Workspace) -> None:
    assert isinstance(report_tick(workspace, None), SkipReason)


def test_daily_refresh_skips_versions_off_volume(workspace: Workspace) -> None:
    workspace.instance.add_dynamic_partitions("chembl_versions", ["chembl_27", "chembl_20"])
    repository = workspace.defs.get_repository_def()
    schedule = repository.get_schedule_def("daily_refresh_sync_dataset_chembl")
    moment = datetime(2024, 5, 2, 3, 0, tzinfo=UTC)

    with build_schedule_context(
        instance=workspace.instance,
        scheduled_execution_time=moment,
        resources=build_resources(),
        repository_def=repository,
    ) as context:
        requests = list(schedule.evaluate_tick(context).run_requests or [])

    assert schedule.execution_timezone == TIMEZONE
    assert [(r.partition_key, r.run_key) for r in requests] == [
        ("chembl_27", "chembl/chembl_27@20240502T0300Z")
    ]
    assert all(isinstance(r, RunRequest) and r.tags[TRIGGER_TAG] == "schedule" for r in requests)


def test_every_schedule_runs_in_utc(workspace: Workspace) -> None:
    schedules = workspace.defs.get_repository_def().schedule_defs

    assert {schedule.execution_timezone for schedule in schedules} == {"UTC"}
    assert "weekly_verify_store" in {schedule.name for schedule in schedules}


def check_results(workspace: Workspace, run_id: str) -> list[tuple[str | None, bool]]:
    results = []
    for entry in workspace.instance.all_logs(
        run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION
    ):
        event = entry.dagster_event
        assert event is not None
        data = event.event_specific_data
        results.append((data.partition, data.passed))  # type: ignore[union-attr]
    return results


def test_weekly_verification_records_results(workspace: Workspace) -> None:
    sync_chembl(workspace)
    job = workspace.defs.get_repository_def().get_job("verify_store")

    clean = job.execute_in_process(instance=workspace.instance, resources=build_resources())
    stored = Path(Settings.from_env().store) / "datasets/chembl/chembl_27/EGFR_compounds.csv"
    stored.write_bytes(stored.read_bytes().replace(b"C", b"N", 1))
    corrupted = job.execute_in_process(
        instance=workspace.instance, resources=build_resources(), raise_on_error=False
    )

    assert clean.success
    assert check_results(workspace, clean.run_id) == [("chembl_27", True)]
    assert not corrupted.success
    assert check_results(workspace, corrupted.run_id) == [("chembl_27", False)]
    with open_registry(Settings.from_env()) as registry:
        verifications = list(registry.db.verifications.find({}, sort=[("checked_at", 1)]))
    assert [item["ok"] for item in verifications] == [True, False]
