"""Pipes-backed assets: the sync of one version runs outside the Dagster run process.

GNOSIS_EXECUTION selects where the sync runs:
- `in_process` (default): the assets in `defs/assets/`, in the run process.
- `subprocess`: these assets, running `python -m gnosis_assets.remote.entrypoint` locally.
- `modal`: these assets, running `modal run -m gnosis_assets.remote.modal_app`.

Each source gets one multi-asset for its dataset, split-set and registry-record keys, and
each model one for its eval-report and registry-record keys, so the graph keeps its keys and
lineage. The remote side reports the data assets and the `uploads_match_checksums` check;
the registry record is written here, with the registry this deployment is configured with.
"""

import json
import os
import re
import sys
from collections.abc import Iterator
from typing import Any

from dagster import (
    AllPartitionMapping,
    AssetCheckResult,
    AssetCheckSpec,
    AssetDep,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    Failure,
    MaterializeResult,
    MetadataValue,
    PipesSubprocessClient,
    multi_asset,
)

from gnosis_assets.defs.assets.datasets import dataset_asset_key
from gnosis_assets.defs.assets.models import eval_reports_asset_key, split_asset_key
from gnosis_assets.defs.assets.registry import dataset_record_key, model_record_key
from gnosis_assets.defs.graph import AssetGraph
from gnosis_assets.defs.partitions import versions_partitions
from gnosis_assets.defs.resources import GnosisResource
from gnosis_assets.registry.publish import publish_dataset_record, publish_model_record
from gnosis_assets.remote.work import UPLOAD_CHECK
from gnosis_assets.sync.catalog import Catalog
from gnosis_assets.sync.metadata import metadata_key

EXECUTIONS = ("in_process", "subprocess", "modal")
PIPES_RESOURCE_KEY = "pipes_client"


def execution_from_env() -> str:
    value = os.environ.get("GNOSIS_EXECUTION") or "in_process"
    if value not in EXECUTIONS:
        raise ValueError(
            f"GNOSIS_EXECUTION={value!r} is invalid; use one of {', '.join(EXECUTIONS)}"
        )
    return value


def pipes_command(execution: str) -> list[str]:
    if execution == "modal":
        return ["modal", "run", "-m", "gnosis_assets.remote.modal_app"]
    return [sys.executable, "-m", "gnosis_assets.remote.entrypoint"]


def _settings_env(gnosis: GnosisResource) -> dict[str, str]:
    """Pass the resource's resolved settings, so both sides read the same volumes and store."""
    settings = gnosis.get_settings()
    env = {"GNOSIS_HOME": str(settings.home), "GNOSIS_STORE": settings.store}
    env["GNOSIS_VOLUMES"] = settings.volumes
    return env


def _run_remote(
    context: AssetExecutionContext,
    gnosis: GnosisResource,
    pipes_client: PipesSubprocessClient,
    command: list[str],
    kind: str,
    name: str,
) -> Any:
    return pipes_client.run(
        command=command,
        context=context,
        extras={"kind": kind, "name": name},
        env=_settings_env(gnosis),
    )


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def build_remote_dataset_asset(source: str, command: list[str]) -> AssetsDefinition:
    data_key, split_key, record_key = (
        dataset_asset_key(source),
        split_asset_key(source),
        dataset_record_key(source),
    )

    @multi_asset(
        name=f"remote_sync_dataset_{_safe(source)}",
        specs=[
            AssetSpec(data_key, group_name="datasets", kinds={"s3"}),
            AssetSpec(split_key, deps=[data_key], group_name="splits", kinds={"s3"}),
            AssetSpec(record_key, deps=[split_key], group_name="registry", kinds={"mongodb"}),
        ],
        check_specs=[AssetCheckSpec(UPLOAD_CHECK, asset=data_key)],
        partitions_def=versions_partitions(source),
        description=f"Sync one {source} version through Dagster Pipes ({' '.join(command)}), "
        "then write its registry record.",
    )
    def remote_dataset(
        context: AssetExecutionContext,
        gnosis: GnosisResource,
        pipes_client: PipesSubprocessClient,
    ) -> Iterator[MaterializeResult | AssetCheckResult]:
        invocation = _run_remote(context, gnosis, pipes_client, command, "dataset", source)
        yield from invocation.get_results(implicit_materializations=False)
        yield _record_dataset(context, gnosis, source, context.partition_key, record_key)

    return remote_dataset


def _record_dataset(
    context: AssetExecutionContext,
    gnosis: GnosisResource,
    source: str,
    version: str,
    record_key: AssetKey,
) -> MaterializeResult:
    store = gnosis.get_store()
    key = metadata_key(source, version)
    try:
        metadata = json.loads(b"".join(store.get_chunks(key)))
        with gnosis.get_registry() as registry:
            result = publish_dataset_record(
                store, registry, gnosis.get_settings().manifests_folder, metadata
            )
    except KeyError:
        raise Failure(
            f"{store.uri(key)} is missing after the remote sync of {source}/{version}; "
            "see the Pipes logs of this run"
        ) from None
    context.log.info(
        "registry record of %s %s", result.registry_id, "updated" if result.changed else "unchanged"
    )
    return MaterializeResult(
        asset_key=record_key,
        metadata={
            "registry_id": result.registry_id,
            "changed": result.changed,
            "metadata_sha256": result.metadata_sha256,
            "manifest": MetadataValue.text(result.manifest_uri),
        },
    )


def build_remote_model_asset(model: str, datasets: tuple[str, ...], command: list[str]):
    reports_key, record_key = eval_reports_asset_key(model), model_record_key(model)
    deps = [
        AssetDep(key, partition_mapping=AllPartitionMapping())
        for source in datasets
        for key in (dataset_asset_key(source), split_asset_key(source))
    ]

    @multi_asset(
        name=f"remote_sync_model_{_safe(model)}",
        specs=[
            AssetSpec(reports_key, deps=deps, group_name="models", kinds={"s3"}),
            AssetSpec(record_key, deps=[reports_key], group_name="registry", kinds={"mongodb"}),
        ],
        partitions_def=versions_partitions(model),
        description=f"Sync one {model} version through Dagster Pipes ({' '.join(command)}), "
        "then write its registry records.",
    )
    def remote_model(
        context: AssetExecutionContext,
        gnosis: GnosisResource,
        pipes_client: PipesSubprocessClient,
    ) -> Iterator[MaterializeResult]:
        invocation = _run_remote(context, gnosis, pipes_client, command, "model", model)
        yield from invocation.get_results(implicit_materializations=False)
        records = [m["record"] for m in invocation.get_custom_messages() if "record" in m]
        if not records:
            raise Failure(f"the remote sync of {model}/{context.partition_key} sent no record")
        with gnosis.get_registry() as registry:
            result = publish_model_record(
                gnosis.get_store(), registry, gnosis.get_settings().manifests_folder, records[-1]
            )
        yield MaterializeResult(
            asset_key=record_key,
            metadata={
                "registry_id": result.registry_id,
                "changed": result.changed,
                "artifacts": result.artifacts,
                "manifest": MetadataValue.text(result.manifest_uri),
            },
        )

    return remote_model


def remote_graph(graph: AssetGraph, catalog: Catalog, execution: str) -> AssetGraph:
    """Return the graph with Pipes-backed assets in place of the in-process sync assets."""
    command = pipes_command(execution)
    return AssetGraph(
        dataset_assets={
            source: [build_remote_dataset_asset(source, command)] for source in catalog.sources
        },
        model_assets={
            model: [build_remote_model_asset(model, spec.datasets, command)]
            for model, spec in catalog.models.items()
        },
        sync_report=graph.sync_report,
        checks=graph.checks,
    )


def pipes_resources() -> dict[str, Any]:
    return {PIPES_RESOURCE_KEY: PipesSubprocessClient()}
