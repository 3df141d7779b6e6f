"""Asset checks: published objects match their recorded SHA256 and size, and split sets are
disjoint, complete, within tolerance, non-empty and reproducible."""

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetCheckSpec,
    MetadataValue,
    asset_check,
    multi_asset_check,
)

from gnosis_assets.defs.assets.datasets import dataset_asset_key
from gnosis_assets.defs.assets.models import split_asset_key
from gnosis_assets.defs.partitions import versions_partitions
from gnosis_assets.defs.resources import GnosisResource
from gnosis_assets.splits import SplitConfig, verify_split
from gnosis_assets.stores.base import ObjectStore, StoreError, hash_object
from gnosis_assets.stores.transfer import cached_download, download_verified
from gnosis_assets.sync.metadata import MetadataError, listed_files, read_metadata
from gnosis_assets.sync.splitsets import split_manifest_of


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


SPLIT_CHECKS = {
    "files_match_manifest": "Split files have the SHA256 and size their manifest records.",
    "none_empty": "No split of any split set is empty.",
    "fractions_within_tolerance": "Realised row fractions are within the configured tolerance.",
    "disjoint": "No key or group appears in two splits.",
    "assigned_split": "Every row is in the split its keyed hash assigns.",
    "complete": "Together the splits contain exactly the rows of the input file.",
    "reproducible": "A fresh split of the input gives byte-identical files.",
}


def build_split_checks(source: str) -> AssetChecksDefinition:
    partitions = versions_partitions(source)
    specs = [
        AssetCheckSpec(
            name, asset=split_asset_key(source), description=text, partitions_def=partitions
        )
        for name, text in SPLIT_CHECKS.items()
    ]

    @multi_asset_check(
        name=f"{source}_split_checks",
        specs=specs,
        description="Downloads the input and split files (verified) and re-checks each split set.",
    )
    def split_checks(
        context: AssetCheckExecutionContext, gnosis: GnosisResource
    ) -> Iterator[AssetCheckResult]:
        version = context.partition_key
        store = gnosis.get_store()
        settings = gnosis.get_settings()
        results: dict[str, list[dict[str, Any]]] = {name: [] for name in SPLIT_CHECKS}
        try:
            document = read_metadata(store, source, version) or {"files": [], "splits": {}}
            with tempfile.TemporaryDirectory() as work:
                for name, entry in sorted((document.get("splits") or {}).items()):
                    for result in _check_split_set(
                        store, settings.cache_folder, document, entry, Path(work) / name
                    ):
                        results[result.name].append(
                            {
                                "split_set": name,
                                "passed": result.passed,
                                "description": result.description,
                            }
                        )
        except (MetadataError, StoreError, KeyError) as error:
            for name in SPLIT_CHECKS:
                results[name].append({"split_set": "*", "passed": False, "description": str(error)})
        for name, rows in results.items():
            yield AssetCheckResult(
                asset_key=split_asset_key(source),
                check_name=name,
                passed=bool(rows) and all(row["passed"] for row in rows),
                metadata={"split_sets": MetadataValue.json(rows)},
            )

    return split_checks


def _check_split_set(
    store: ObjectStore, cache: Path, document: dict[str, Any], entry: dict[str, Any], work: Path
) -> list[Any]:
    config = SplitConfig.from_mapping(entry["config"])
    item = next(f for f in document["files"] if f["name"] == config.file)
    input_path = cached_download(store, item["key"], item["sha256"], item["size"], cache)
    for split_file in entry["files"]:
        name = split_file["key"].rsplit("/", 1)[-1]
        download_verified(
            store, split_file["key"], split_file["sha256"], split_file["size"], work / name
        )
    return verify_split(input_path, config, work, split_manifest_of(entry))
