"""The split-set asset of each source: deterministic train/val/test files per dataset version.

It reads the curated file from the store (verified against metadata.json), writes the splits,
publishes them under `splits/<name>/`, and rewrites metadata.json with a `splits` section.
"""

from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetIn,
    AssetsDefinition,
    DataVersion,
    Failure,
    MetadataValue,
    Output,
    asset,
)

from gnosis_assets.defs.assets.common import SUMMARY_METADATA_KEY, files_table
from gnosis_assets.defs.assets.datasets import dataset_asset_key
from gnosis_assets.defs.assets.models import split_asset_key
from gnosis_assets.defs.partitions import versions_partitions
from gnosis_assets.defs.resources import GnosisResource
from gnosis_assets.lib.hashing import content_hash
from gnosis_assets.splits import SplitConfig, SplitError
from gnosis_assets.stores.base import StoreError
from gnosis_assets.sync.catalog import SourceSpec
from gnosis_assets.sync.splitsets import SplitSetError, publish_split_sets


def build_split_asset(spec: SourceSpec) -> AssetsDefinition:
    configs = [SplitConfig.from_mapping(item) for item in spec.splits]

    @asset(
        key=split_asset_key(spec.name),
        partitions_def=versions_partitions(spec.name),
        ins={"dataset": AssetIn(dataset_asset_key(spec.name))},
        group_name="splits",
        io_manager_key="checksummed_io_manager",
        description=f"Deterministic train/val/test split sets of each {spec.name} version, "
        "published beside the curated files and recorded in metadata.json.",
        kinds={"s3"},
        tags={"gnosis/source": spec.name},
    )
    def split_sets(
        context: AssetExecutionContext, gnosis: GnosisResource, dataset: dict[str, Any]
    ) -> Output[dict[str, Any]]:
        settings = gnosis.get_settings()
        source, version = dataset["source"], dataset["version"]
        summary: dict[str, Any] = {
            "source": source,
            "version": version,
            "split_sets": [config.name for config in configs],
            "status": "ok",
            "files": [],
        }
        try:
            result = publish_split_sets(
                gnosis.get_store(),
                dataset,
                configs,
                cache=settings.cache_folder,
                work_root=settings.home / "work",
                log=context.log,
            )
        except (SplitError, SplitSetError, StoreError) as error:
            summary.update(status="failed", error=str(error))
            raise Failure(
                description=f"split sets of {source}/{version} were not published: {error}",
                metadata={SUMMARY_METADATA_KEY: MetadataValue.json(summary)},
            ) from error

        document = result.document
        summary["files"] = [
            {
                "key": item["key"],
                "action": result.actions.get(item["key"], "unchanged"),
                "sha256": item["sha256"],
                "size": item["size"],
            }
            for item in result.files
        ]
        summary["uploaded_bytes"] = sum(
            item["size"] for item in result.files if result.actions.get(item["key"]) == "uploaded"
        )
        return Output(
            document,
            data_version=DataVersion(content_hash((f["key"], f["sha256"]) for f in result.files)),
            metadata={
                "split_sets": len(document["splits"]),
                "files": files_table(result.files, result.actions),
                "counts": MetadataValue.json(
                    {name: entry["counts"] for name, entry in document["splits"].items()}
                ),
                SUMMARY_METADATA_KEY: MetadataValue.json(summary),
            },
        )

    return split_sets
