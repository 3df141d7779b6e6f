"""Sensors: one per volume that syncs new and changed versions, and one that writes the report.

A volume sensor requests one run per new or changed version folder, with run key
`<name>/<version>@<fingerprint>`: Dagster starts at most one run per run key and sensor, so
a change gives one run even when the cursor is lost. A version that left the volume is
flagged `missing_from_volume` in the registry; its objects stay in the store.

The sync-report sensor waits until no automated sync run is queued or running, then requests
one `datasets/sync_report` run for every automated run that finished since its cursor.
"""

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime

from dagster import (
    DagsterRunStatus,
    RunRequest,
    RunsFilter,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)
from dagster._core.definitions.unresolved_asset_job_definition import (
    UnresolvedAssetJobDefinition,
)

from gnosis_assets.defs.assets.reports import SYNC_REPORT_KEY
from gnosis_assets.defs.fingerprints import VolumeCursor
from gnosis_assets.defs.partitions import partitions_name, versions_partitions
from gnosis_assets.defs.resources import GnosisResource
from gnosis_assets.defs.schedules import (
    AUTOMATED_TRIGGERS,
    TRIGGER_TAG,
    AutomationSettings,
    SyncJobs,
)
from gnosis_assets.defs.watch import TickPlan, plan_tick
from gnosis_assets.registry.client import Registry
from gnosis_assets.volumes.base import VolumeError, VolumeSource

FINGERPRINT_TAG = "gnosis/fingerprint"
REASON_TAG = "gnosis/reason"

IN_FLIGHT = [
    DagsterRunStatus.QUEUED,
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
    DagsterRunStatus.CANCELING,
]
FINISHED = [DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED]


def _flag_versions(
    registry: Registry, kind: str, plan: TickPlan, context: SensorEvaluationContext
) -> None:
    mark = registry.mark_dataset_missing if kind == "datasets" else registry.mark_model_missing
    for name, version in plan.newly_missing:
        changed = mark(name, version, True)
        context.log.warning(
            "%s version %s/%s is no longer on the volume and was %s. Its objects stay in the store",
            kind,
            name,
            version,
            "flagged missing_from_volume in the registry" if changed else "flagged before",
        )
    for name, version in plan.returned:
        mark(name, version, False)
        context.log.info("%s version %s/%s is back on the volume", kind, name, version)


def build_volume_sensor(
    kind: str,
    jobs: dict[str, UnresolvedAssetJobDefinition],
    volume_of: Callable[[GnosisResource], VolumeSource],
    settings: AutomationSettings,
) -> SensorDefinition:
    """Build the sensor of one volume; `kind` is "datasets" or "models"."""
    names = sorted(jobs)

    @sensor(
        name=f"{kind}_volume_sensor",
        jobs=list(jobs.values()),
        minimum_interval_seconds=settings.sensor_interval_seconds,
        default_status=settings.sensor_status,
        description=f"Fingerprint the {kind} volume's version folders and sync new and "
        "changed ones once they are stable.",
    )
    def watch_volume(context: SensorEvaluationContext, gnosis: GnosisResource) -> SensorResult:
        volume = volume_of(gnosis)
        instance = context.instance
        plan = plan_tick(
            volume,
            names,
            VolumeCursor.from_json(context.cursor),
            lambda name: set(instance.get_dynamic_partitions(partitions_name(name))),
            settings.limits,
        )
        if plan.errors and plan.fingerprinted == 0:
            raise VolumeError(plan.errors[0])
        if plan.newly_missing or plan.returned:
            with gnosis.get_registry() as registry:
                _flag_versions(registry, kind, plan, context)

        runs = [
            RunRequest(
                run_key=run.run_key,
                job_name=jobs[run.name].name,
                partition_key=run.version,
                tags={TRIGGER_TAG: "sensor", FINGERPRINT_TAG: run.digest, REASON_TAG: run.reason},
            )
            for run in plan.runs
        ]
        for run in plan.runs:
            context.log.info(
                "%s %s/%s at fingerprint %s: requesting a sync",
                run.reason,
                run.name,
                run.version,
                run.digest,
            )
        if plan.waiting:
            context.log.info("waiting for these versions to stop changing: %s", plan.waiting)
        context.log.info(
            "%s: %d versions fingerprinted%s",
            volume.describe(),
            plan.fingerprinted,
            "" if plan.complete else "; the next tick continues after " + plan.cursor.after,
        )
        return SensorResult(
            run_requests=runs,
            dynamic_partitions_requests=[
                versions_partitions(name).build_add_request(versions)
                for name, versions in sorted(plan.new_partitions.items())
            ],
            cursor=plan.cursor.to_json(),
        )

    return watch_volume


def _report_cursor(text: str | None) -> float:
    """Return the update time (epoch seconds) of the last run a report covered."""
    try:
        return float(json.loads(text or "{}").get("after", 0.0))
    except (ValueError, AttributeError):
        return 0.0


def build_report_sensor(jobs: SyncJobs, settings: AutomationSettings) -> SensorDefinition:
    op_name = "__".join(SYNC_REPORT_KEY.path)

    @sensor(
        name="sync_report_sensor",
        job=jobs.report,
        minimum_interval_seconds=settings.report_interval_seconds,
        default_status=settings.sensor_status,
        description="Write one sync report for the sensor and schedule runs that finished, "
        "once none is queued or running.",
    )
    def report_finished_runs(context: SensorEvaluationContext) -> SensorResult | SkipReason:
        instance = context.instance
        automated = {TRIGGER_TAG: list(AUTOMATED_TRIGGERS)}
        in_flight = instance.get_run_records(RunsFilter(tags=automated, statuses=IN_FLIGHT))
        if in_flight:
            return SkipReason(f"waiting for {len(in_flight)} sync runs to finish")

        after = _report_cursor(context.cursor)
        finished = instance.get_run_records(
            RunsFilter(
                tags=automated,
                statuses=FINISHED,
                updated_after=datetime.fromtimestamp(after, tz=UTC) if after else None,
            )
        )
        finished = [record for record in finished if record.update_timestamp.timestamp() > after]
        if not finished:
            return SkipReason("no sync run finished since the last report")

        run_ids = sorted(record.dagster_run.run_id for record in finished)
        newest = max(record.update_timestamp.timestamp() for record in finished)
        digest = hashlib.sha256("\n".join(run_ids).encode()).hexdigest()[:16]
        context.log.info("requesting the sync report of %d runs", len(run_ids))
        return SensorResult(
            run_requests=[
                RunRequest(
                    run_key=f"sync_report@{digest}",
                    run_config={"ops": {op_name: {"config": {"run_ids": run_ids}}}},
                    tags={"gnosis/report_runs": str(len(run_ids))},
                )
            ],
            cursor=json.dumps({"after": newest}),
        )

    return report_finished_runs


def build_sensors(jobs: SyncJobs, settings: AutomationSettings) -> list[SensorDefinition]:
    return [
        build_volume_sensor(
            "datasets", jobs.datasets, GnosisResource.get_datasets_volume, settings
        ),
        build_volume_sensor("models", jobs.models, GnosisResource.get_models_volume, settings),
        build_report_sensor(jobs, settings),
    ]
