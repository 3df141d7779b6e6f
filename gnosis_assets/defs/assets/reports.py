"""The sync-report asset: one timestamped report per sync, built from the runs' events."""

from datetime import datetime
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    Config,
    DagsterEventType,
    DagsterInstance,
    MaterializeResult,
    MetadataValue,
    RunsFilter,
    asset,
)

from gnosis_assets.defs.assets.common import SUMMARY_METADATA_KEY
from gnosis_assets.defs.resources import GnosisResource
from gnosis_assets.sync.context import utc_now
from gnosis_assets.sync.report import (
    LATEST_REPORT_KEY,
    build_report,
    count_objects,
    publish_report,
)

SYNC_REPORT_KEY = AssetKey(["datasets", "sync_report"])


class SyncReportConfig(Config):
    """Runs the report covers. Empty `run_ids` means every run since the previous report."""

    run_ids: list[str] = []
    started_at: str | None = None  # ISO-8601 UTC start of the sync; default: earliest run start


def _as_summary(value: object) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}


def _summaries_of_run(instance: DagsterInstance, run_id: str) -> list[dict[str, Any]]:
    summaries = []
    for entry in instance.all_logs(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION):
        event = entry.dagster_event
        if event is None:
            continue
        materialization = event.step_materialization_data.materialization
        value = materialization.metadata.get(SUMMARY_METADATA_KEY)
        if value is not None:
            summaries.append(_as_summary(value.value))
    for entry in instance.all_logs(run_id, of_type=DagsterEventType.STEP_FAILURE):
        event = entry.dagster_event
        data = event.step_failure_data if event is not None else None
        failure = data.user_failure_data if data is not None else None
        if failure is None:
            continue
        value = failure.metadata.get(SUMMARY_METADATA_KEY)
        if value is not None:
            summaries.append(_as_summary(value.value))
    return summaries


def _runs_since_last_report(instance: DagsterInstance, context: AssetExecutionContext) -> list[str]:
    records = instance.fetch_materializations(SYNC_REPORT_KEY, limit=1).records
    after = datetime.fromtimestamp(records[0].timestamp, tz=utc_now().tzinfo) if records else None
    runs = instance.get_run_records(RunsFilter(created_after=after) if after else None)
    return [
        record.dagster_run.run_id
        for record in runs
        if record.dagster_run.run_id != context.run.run_id
    ]


def build_sync_report_asset(record_keys: list[AssetKey]) -> AssetsDefinition:
    @asset(
        key=SYNC_REPORT_KEY,
        deps=record_keys,
        group_name="registry",
        description="Timestamped sync report: every file synced or skipped, totals, and the "
        "status of each dataset and model version.",
        kinds={"s3", "mongodb"},
    )
    def sync_report(
        context: AssetExecutionContext, config: SyncReportConfig, gnosis: GnosisResource
    ) -> MaterializeResult:
        instance = context.instance
        run_ids = config.run_ids or _runs_since_last_report(instance, context)
        datasets: list[dict[str, Any]] = []
        models: list[dict[str, Any]] = []
        splits: list[dict[str, Any]] = []
        for run_id in run_ids:
            for summary in _summaries_of_run(instance, run_id):
                summary["dagster_run_id"] = run_id
                if "model" in summary:
                    models.append(summary)
                elif "split_sets" in summary:
                    splits.append(summary)
                else:
                    datasets.append(summary)
        started = _start_time(instance, run_ids, config.started_at)
        store = gnosis.get_store()
        # The count includes the report about to be written, and latest.json if it is new.
        objects = count_objects(store) + 1 + (store.head(LATEST_REPORT_KEY) is None)
        report = build_report(
            started_at=started,
            ended_at=utc_now(),
            datasets=sorted(datasets, key=lambda item: (item["source"], item["version"])),
            models=sorted(models, key=lambda item: (item["model"], item["version"])),
            run_ids=run_ids,
            store_description=store.describe(),
            store_objects=objects,
            splits=sorted(splits, key=lambda item: (item["source"], item["version"])),
        )
        key, latest = publish_report(store, report)
        with gnosis.get_registry() as registry:
            registry.insert_sync_report(report)
        context.log.info("sync report %s: %s", report["report_id"], report["status"])
        return MaterializeResult(
            metadata={
                "report_id": report["report_id"],
                "status": report["status"],
                "report": MetadataValue.text(store.uri(key)),
                "latest": MetadataValue.text(store.uri(latest)),
                "datasets_failed": report["totals"]["datasets_failed"],
                "models_failed": report["totals"]["models_failed"],
                "files_uploaded": report["totals"]["files_uploaded"],
                "bytes_uploaded": report["totals"]["bytes_uploaded"],
            }
        )

    return sync_report


def _start_time(
    instance: DagsterInstance, run_ids: list[str], configured_start: str | None
) -> datetime:
    if configured_start:
        return datetime.fromisoformat(configured_start.replace("Z", "+00:00"))
    starts = []
    for run_id in run_ids:
        record = instance.get_run_record_by_id(run_id)
        if record is not None and record.start_time is not None:
            starts.append(record.start_time)
    if not starts:
        return utc_now()
    return datetime.fromtimestamp(min(starts), tz=utc_now().tzinfo)
