"""Run a whole sync through Dagster: one run per dataset version and model version, then the
sync report. A failed version fails its own run only, so the others still publish.
"""

import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from dagster import AssetKey, DagsterInstance, materialize

from gnosis_assets.defs.deployment import build_resources
from gnosis_assets.defs.graph import AssetGraph, build_asset_graph
from gnosis_assets.defs.partitions import partitions_name
from gnosis_assets.settings import DATASETS_PREFIX, MODELS_PREFIX, Settings
from gnosis_assets.stores.factory import open_store
from gnosis_assets.sync.catalog import Catalog, discover_unknown, discover_versions, load_catalog
from gnosis_assets.sync.context import iso_utc, utc_now
from gnosis_assets.volumes.factory import datasets_volume, models_volume

log = logging.getLogger(__name__)

SYNC_ID_TAG = "gnosis/sync_id"


class SyncBusyError(RuntimeError):
    """Another sync holds the state folder's lock."""


@dataclass
class SyncOutcome:
    report: dict[str, Any]
    run_ids: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.report.get("status") == "ok"


@contextmanager
def sync_lock(settings: Settings) -> Iterator[None]:
    """Hold the state folder's sync lock, failing at once if another sync holds it."""
    settings.home.mkdir(parents=True, exist_ok=True)
    with (settings.home / "sync.lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SyncBusyError(
                f"another sync is running on {settings.home} (lock {settings.home / 'sync.lock'});"
                " wait for it to finish"
            ) from None
        yield


def _run_config(log_level: str) -> dict[str, Any]:
    return {"loggers": {"console": {"config": {"log_level": log_level}}}}


def run_sync(
    settings: Settings,
    instance: DagsterInstance,
    *,
    full: bool = False,
    log_level: str = "INFO",
    catalog: Catalog | None = None,
) -> SyncOutcome:
    """Discover versions on both volumes, materialize each, and write the sync report."""
    catalog = catalog or load_catalog()
    graph = build_asset_graph(catalog)
    resources = build_resources(full_rescan=full)
    started = utc_now()
    sync_id = started.strftime("%Y%m%dT%H%M%S%fZ")
    warnings: list[str] = []

    with sync_lock(settings):
        dataset_versions = discover_versions(datasets_volume(settings), list(catalog.sources))
        model_versions = discover_versions(models_volume(settings), list(catalog.models))
        for name in discover_unknown(datasets_volume(settings), list(catalog.sources)):
            warnings.append(
                f"{settings.datasets_volume}/{name}/ is not a source in catalog.yaml and was "
                "not synced; add it to catalog.yaml to publish it"
            )
        for name in discover_unknown(models_volume(settings), list(catalog.models)):
            warnings.append(
                f"{settings.models_volume}/{name}/ is not a model in catalog.yaml and was "
                "not synced; add it to catalog.yaml to publish it"
            )
        for message in warnings:
            log.warning(message)

        store = open_store(settings)
        for prefix in (f"{DATASETS_PREFIX}/", f"{MODELS_PREFIX}/"):
            aborted = store.abort_incomplete_uploads(prefix)
            if aborted:
                log.warning("aborted %d unfinished uploads under %s", aborted, prefix)

        run_ids: list[str] = []
        everything = [*graph.all_assets, *graph.checks]
        tags = {SYNC_ID_TAG: sync_id}
        for source, versions in dataset_versions.items():
            _add_partitions(instance, source, versions)
            keys = [asset.key for asset in graph.dataset_assets[source]]
            for version in versions:
                run_ids.append(
                    _materialize(instance, everything, keys, version, resources, tags, log_level)
                )
        for model, versions in model_versions.items():
            _add_partitions(instance, model, versions)
            keys = [asset.key for asset in graph.model_assets[model]]
            for version in versions:
                run_ids.append(
                    _materialize(instance, everything, keys, version, resources, tags, log_level)
                )

        report = _write_report(graph, instance, resources, run_ids, started, tags, log_level)
    report["warnings"] = warnings
    return SyncOutcome(report=report, run_ids=run_ids, warnings=warnings)


def _add_partitions(instance: DagsterInstance, name: str, versions: list[str]) -> None:
    partitions = partitions_name(name)
    existing = set(instance.get_dynamic_partitions(partitions))
    new = [version for version in versions if version not in existing]
    if new:
        instance.add_dynamic_partitions(partitions, new)


def _materialize(
    instance: DagsterInstance,
    assets: list[Any],
    keys: list[AssetKey],
    partition: str,
    resources: dict[str, Any],
    tags: dict[str, str],
    log_level: str,
) -> str:
    result = materialize(
        assets,
        selection=keys,
        partition_key=partition,
        instance=instance,
        resources=resources,
        raise_on_error=False,
        tags=tags,
        run_config=_run_config(log_level),
    )
    if not result.success:
        log.warning("run %s for %s failed", result.run_id, partition)
    return result.run_id


def _write_report(
    graph: AssetGraph,
    instance: DagsterInstance,
    resources: dict[str, Any],
    run_ids: list[str],
    started: Any,
    tags: dict[str, str],
    log_level: str,
) -> dict[str, Any]:
    assert graph.sync_report is not None
    op_name = graph.sync_report.op.name
    run_config = _run_config(log_level)
    run_config["ops"] = {op_name: {"config": {"run_ids": run_ids, "started_at": iso_utc(started)}}}
    result = materialize(
        [*graph.all_assets],
        selection=[graph.sync_report.key],
        instance=instance,
        resources=resources,
        tags=tags,
        run_config=run_config,
    )
    gnosis = resources["gnosis"]
    with gnosis.get_registry() as registry:
        report = registry.db.sync_reports.find_one(
            {"dagster_run_ids": sorted(run_ids)}, sort=[("started_at", -1)]
        )
    if report is None:
        raise RuntimeError(f"the sync report run {result.run_id} wrote no report")
    report.pop("_id", None)
    return dict(report)
