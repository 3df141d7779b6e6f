"""Asset checks: every published object still matches its recorded SHA256 and size."""

from typing import Any

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    MetadataValue,
    asset_check,
)

from gnosis_assets.defs.assets.datasets import dataset_asset_key
from gnosis_assets.defs.partitions import versions_partitions
from gnosis_assets.defs.resources import GnosisResource
from gnosis_assets.stores.base import ObjectStore, hash_object
from gnosis_assets.sync.metadata import MetadataError, listed_files, read_metadata


def check_objects(store: ObjectStore, files: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Re-hash each listed object and return one row per object that does not match."""
    failures = []
    for item in files:
        try:
            sha256, size = hash_object(store, item["key"])
        except KeyError:
            failures.append({"key": item["key"], "problem": "missing"})
            continue
        if size != item["size"]:
            failures.append({"key": item["key"], "problem": f"size {size} != {item['size']}"})
        elif sha256 != item["sha256"]:
            failures.append({"key": item["key"], "problem": f"SHA256 {sha256} != {item['sha256']}"})
    return failures


def build_checksum_check(source: str) -> AssetChecksDefinition:
    @asset_check(
        asset=dataset_asset_key(source),
        name="objects_match_checksums",
        partitions_def=versions_partitions(source),
        description="Re-hashes every object metadata.json lists for the version and compares "
        "SHA256 and size with the record.",
        blocking=True,
    )
    def objects_match_checksums(
        context: AssetCheckExecutionContext, gnosis: GnosisResource
    ) -> AssetCheckResult:
        version = context.partition_key
        store = gnosis.get_store()
        try:
            document = read_metadata(store, source, version)
        except MetadataError as error:
            return AssetCheckResult(passed=False, metadata={"error": str(error)})
        if document is None:
            return AssetCheckResult(
                passed=False,
                severity=AssetCheckSeverity.ERROR,
                metadata={"error": f"{source}/{version} has no metadata.json in the store"},
            )
        files = listed_files(document)
        failures = check_objects(store, files)
        return AssetCheckResult(
            passed=not failures,
            metadata={
                "objects_checked": len(files),
                "bytes_checked": sum(item["size"] for item in files),
                "failures": MetadataValue.json(failures),
                "content_hash": document["content_hash"],
            },
        )

    return objects_match_checksums
