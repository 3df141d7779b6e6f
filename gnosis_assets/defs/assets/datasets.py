"""The curated-dataset asset of each source: one partition per dataset version."""

from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    DataVersion,
    Failure,
    MetadataValue,
    Output,
    asset,
)

from gnosis_assets.defs.assets.common import SUMMARY_METADATA_KEY, files_table, sync_context
from gnosis_assets.defs.partitions import versions_partitions
from gnosis_assets.defs.resources import GnosisResource
from gnosis_assets.sync.catalog import SourceSpec
from gnosis_assets.sync.datasets import sync_dataset_version


def dataset_asset_key(source: str) -> AssetKey:
    return AssetKey(["datasets", source])


def build_dataset_asset(spec: SourceSpec) -> AssetsDefinition:
    @asset(
        key=dataset_asset_key(spec.name),
        partitions_def=versions_partitions(spec.name),
        group_name="datasets",
        io_manager_key="checksummed_io_manager",
        description=f"Curated {spec.name} files, byte-exact in the store with metadata.json. "
        f"{spec.description}",
        kinds={"s3"},
        tags={"gnosis/source": spec.name},
    )
    def curated_dataset(
        context: AssetExecutionContext, gnosis: GnosisResource
    ) -> Output[dict[str, Any]]:
        version = context.partition_key
        sync = sync_context(context, gnosis)
        try:
            result = sync_dataset_version(sync, spec.name, version)
        finally:
            sync.progress.close()
            if sync.cache is not None:
                sync.cache.close()
        summary = result.summary()
        if result.status == "failed" or result.metadata is None:
            raise Failure(
                description=f"dataset {spec.name}/{version} was not published: {result.error}",
                metadata={SUMMARY_METADATA_KEY: MetadataValue.json(summary)},
            )
        document = result.metadata
        actions = {item["key"]: item["action"] for item in result.files}
        return Output(
            document,
            data_version=DataVersion(document["content_hash"]),
            metadata={
                "content_hash": document["content_hash"],
                "file_count": document["file_count"],
                "total_bytes": document["total_bytes"],
                "s3_prefix": MetadataValue.url(document["s3_prefix"]),
                "outcome": result.status,
                "uploaded_bytes": result.uploaded_bytes,
                "files_trusted_from_cache": result.trusted_files,
                "files": files_table(document["files"], actions),
                SUMMARY_METADATA_KEY: MetadataValue.json(summary),
            },
        )

    return curated_dataset
