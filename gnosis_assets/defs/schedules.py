"""Jobs, schedules, freshness policies and every time setting of the automation, all in UTC.

- Volume sensors: every GNOSIS_SENSOR_INTERVAL_SECONDS (default 60 s).
- Daily refresh: 03:00 UTC, one run per known version that is still on its volume.
- Weekly verification: Sundays at 05:00 UTC, after that day's refresh.
- Freshness: every asset fails its freshness policy 26 hours after its last materialization,
  which a missed daily refresh causes, and warns after 25 hours.
"""

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from dagster import (
    AssetsDefinition,
    AssetSelection,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    FreshnessPolicy,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    SkipReason,
    define_asset_job,
    schedule,
)
from dagster._core.definitions.unresolved_asset_job_definition import (
    UnresolvedAssetJobDefinition,
)

from gnosis_assets.defs.assets.reports import SYNC_REPORT_KEY
from gnosis_assets.defs.graph import AssetGraph
from gnosis_assets.defs.partitions import partitions_name, versions_partitions
from gnosis_assets.defs.resources import GnosisResource
from gnosis_assets.defs.verification import verify_store_job
from gnosis_assets.defs.watch import WatchLimits
from gnosis_assets.volumes.base import VolumeSource, list_children

TIMEZONE = "UTC"
DAILY_REFRESH_CRON = "0 3 * * *"  # 03:00 UTC every day
WEEKLY_VERIFY_CRON = "0 5 * * 0"  # 05:00 UTC every Sunday
FRESHNESS_FAIL_WINDOW = timedelta(hours=26)
FRESHNESS_WARN_WINDOW = timedelta(hours=25)

TRIGGER_TAG = "gnosis/trigger"  # "sensor" or "schedule": runs the sync-report sensor collects
AUTOMATED_TRIGGERS = ("sensor", "schedule")


def _number(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number of seconds or a count, got {raw!r}") from None
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {raw!r}")
    return value


@dataclass(frozen=True)
class AutomationSettings:
    """Sensor intervals, the settle time and the per-tick budget, from the environment."""

    sensor_interval_seconds: int = 60
    report_interval_seconds: int = 60
    running: bool = False  # True: sensors and schedules start turned on
    limits: WatchLimits = field(default_factory=WatchLimits)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "AutomationSettings":
        env = os.environ if environ is None else environ
        interval = int(_number(env, "GNOSIS_SENSOR_INTERVAL_SECONDS", 60))
        return cls(
            sensor_interval_seconds=max(interval, 1),
            report_interval_seconds=max(int(_number(env, "GNOSIS_REPORT_INTERVAL_SECONDS", 60)), 1),
            running=(env.get("GNOSIS_AUTOMATION_RUNNING") or "").lower() in ("1", "true", "yes"),
            limits=WatchLimits(
                settle_seconds=_number(env, "GNOSIS_SENSOR_SETTLE_SECONDS", 300),
                max_versions=max(int(_number(env, "GNOSIS_SENSOR_MAX_VERSIONS", 1000)), 1),
                budget_seconds=_number(env, "GNOSIS_SENSOR_BUDGET_SECONDS", 30),
            ),
        )

    @property
    def sensor_status(self) -> DefaultSensorStatus:
        return DefaultSensorStatus.RUNNING if self.running else DefaultSensorStatus.STOPPED

    @property
    def schedule_status(self) -> DefaultScheduleStatus:
        return DefaultScheduleStatus.RUNNING if self.running else DefaultScheduleStatus.STOPPED


def job_name(kind: str, name: str) -> str:
    """Return the job name of a source or model, e.g. `sync_model_gnosis_i`."""
    return f"sync_{kind}_" + re.sub(r"[^A-Za-z0-9_]", "_", name)


@dataclass
class SyncJobs:
    """One partitioned job per source and per model, and the sync-report job."""

    datasets: dict[str, UnresolvedAssetJobDefinition]
    models: dict[str, UnresolvedAssetJobDefinition]
    report: UnresolvedAssetJobDefinition

    @property
    def all(self) -> list[UnresolvedAssetJobDefinition]:
        return [*self.datasets.values(), *self.models.values(), self.report]


def build_sync_jobs(graph: AssetGraph) -> SyncJobs:
    def partitioned_job(kind: str, name: str, assets: list[AssetsDefinition]):
        keys = [key for asset in assets for key in asset.keys]
        return define_asset_job(
            name=job_name(kind, name),
            selection=AssetSelection.assets(*keys),
            partitions_def=versions_partitions(name),
            description=f"Sync one version of {name}: the assets {', '.join(map(str, keys))}.",
        )

    return SyncJobs(
        datasets={s: partitioned_job("dataset", s, a) for s, a in graph.dataset_assets.items()},
        models={m: partitioned_job("model", m, a) for m, a in graph.model_assets.items()},
        report=define_asset_job(
            name="sync_report_job",
            selection=AssetSelection.assets(SYNC_REPORT_KEY),
            description="Write the sync report of the runs given in the run config.",
        ),
    )


def _refresh_schedule(
    job: UnresolvedAssetJobDefinition,
    name: str,
    volume_of: Callable[[GnosisResource], VolumeSource],
    settings: AutomationSettings,
) -> ScheduleDefinition:
    @schedule(
        name=f"daily_refresh_{job.name}",
        job=job,
        cron_schedule=DAILY_REFRESH_CRON,
        execution_timezone=TIMEZONE,
        default_status=settings.schedule_status,
        description=f"Re-sync every known version of {name} that is still on its volume; "
        "files that did not change are not uploaded again.",
    )
    def refresh(
        context: ScheduleEvaluationContext, gnosis: GnosisResource
    ) -> list[RunRequest] | SkipReason:
        known = sorted(context.instance.get_dynamic_partitions(partitions_name(name)))
        on_volume = set(list_children(volume_of(gnosis), name))
        stamp = context.scheduled_execution_time.strftime("%Y%m%dT%H%MZ")
        off_volume = [version for version in known if version not in on_volume]
        if off_volume:
            context.log.info(
                "not refreshing %s versions missing from the volume: %s", name, off_volume
            )
        requests = [
            RunRequest(
                run_key=f"{name}/{version}@{stamp}",
                partition_key=version,
                tags={TRIGGER_TAG: "schedule"},
            )
            for version in known
            if version in on_volume
        ]
        return requests or SkipReason(f"no version of {name} is both known and on the volume")

    return refresh


def build_schedules(jobs: SyncJobs, settings: AutomationSettings) -> list[ScheduleDefinition]:
    """Build the daily refresh of every source and model, and the weekly verification."""
    schedules = [
        _refresh_schedule(job, source, GnosisResource.get_datasets_volume, settings)
        for source, job in jobs.datasets.items()
    ]
    schedules += [
        _refresh_schedule(job, model, GnosisResource.get_models_volume, settings)
        for model, job in jobs.models.items()
    ]
    schedules.append(
        ScheduleDefinition(
            name="weekly_verify_store",
            job=verify_store_job,
            cron_schedule=WEEKLY_VERIFY_CRON,
            execution_timezone=TIMEZONE,
            default_status=settings.schedule_status,
            description="Re-hash every published object and record the result in the registry "
            "and as objects_match_checksums check results.",
        )
    )
    return schedules


def with_freshness(graph: AssetGraph) -> list[AssetsDefinition]:
    """Return the graph's assets with a freshness policy that a missed daily refresh fails."""
    policy = FreshnessPolicy.time_window(
        fail_window=FRESHNESS_FAIL_WINDOW, warn_window=FRESHNESS_WARN_WINDOW
    )
    return [
        asset.map_asset_specs(lambda spec: spec.replace_attributes(freshness_policy=policy))
        for asset in graph.all_assets
    ]
