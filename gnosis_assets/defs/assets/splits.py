"""The split-set asset of each source: deterministic train/val/test files per dataset version.

It reads the curated file from the store (verified against metadata.json), writes the splits,
publishes them under `splits/<name>/`, and rewrites metadata.json with a `splits` section.
"""

import tempfile
from functools import partial
from pathlib import Path
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
from gnosis_assets.splits import SPLIT_NAMES, SplitConfig, SplitError, split_file
from gnosis_assets.stores.base import ObjectStore, StoreError
from gnosis_assets.stores.transfer import cached_download
from gnosis_assets.sync.catalog import SourceSpec
from gnosis_assets.sync.context import iso_utc, utc_now
from gnosis_assets.sync.metadata import publish_metadata, version_prefix

# Fields the metadata.json entry of a split set adds to the split manifest itself.
PUBLICATION_FIELDS = ("config", "files", "built_at")


def split_manifest_of(entry: dict[str, Any]) -> dict[str, Any]:
    """Return the split manifest inside a metadata.json split-set entry."""
    return {key: value for key, value in entry.items() if key not in PUBLICATION_FIELDS}


class SplitSetError(RuntimeError):
    """A split set that could not be built; the message names the dataset and split set."""


def split_prefix(source: str, version: str, name: str) -> str:
    return f"{version_prefix(source, version)}/splits/{name}"


def curated_file(document: dict[str, Any], name: str) -> dict[str, Any]:
    for item in document["files"]:
        if item["name"] == name:
            return item
    available = ", ".join(item["name"] for item in document["files"])
    raise SplitSetError(
        f"dataset {document['source']}/{document['version']}: split file {name!r} is not in "
        f"the version (files: {available}); fix `file` in catalog.yaml"
    )


def is_current(entry: dict[str, Any] | None, config: SplitConfig, input_sha256: str) -> bool:
    """Return whether a published split set was built from this config and input."""
    return (
        entry is not None
        and entry.get("config") == config.to_dict()
        and entry.get("input", {}).get("sha256") == input_sha256
    )


def publish_split_set(
    store: ObjectStore,
    document: dict[str, Any],
    config: SplitConfig,
    input_path: Path,
    work: Path,
) -> dict[str, Any]:
    """Split one file, upload the three split files and return the metadata.json entry."""
    source, version = document["source"], document["version"]
    output = work / config.name
    manifest = split_file(input_path, config, output).to_dict()
    prefix = split_prefix(source, version, config.name)
    files = []
    for split in SPLIT_NAMES:
        written = manifest["splits"][split]
        key = f"{prefix}/{written['file']}"
        path = output / written["file"]
        with path.open("rb") as handle:
            result = store.put_chunks(
                key,
                iter(partial(handle.read, 1024 * 1024), b""),
                content_type="text/csv",
                metadata={"split-set": config.name, "split": split},
                expected_sha256=written["sha256"],
            )
        files.append(
            {
                "key": key,
                "name": f"splits/{config.name}/{written['file']}",
                "split": split,
                "rows": written["rows"],
                "size": result.size,
                "sha256": result.sha256,
                "content_type": "text/csv",
                "s3_uri": store.uri(key),
            }
        )
    return {**manifest, "config": config.to_dict(), "files": files, "built_at": iso_utc(utc_now())}


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
        store = gnosis.get_store()
        settings = gnosis.get_settings()
        source, version = dataset["source"], dataset["version"]
        document = {**dataset, "splits": dict(dataset.get("splits") or {})}
        actions: dict[str, str] = {}
        summary: dict[str, Any] = {
            "source": source,
            "version": version,
            "split_sets": [config.name for config in configs],
            "status": "ok",
            "files": [],
        }
        try:
            with tempfile.TemporaryDirectory(dir=_work_root(settings.home)) as work:
                for config in configs:
                    item = curated_file(dataset, config.file)
                    entry = document["splits"].get(config.name)
                    if is_current(entry, config, item["sha256"]):
                        assert entry is not None
                        actions.update({f["key"]: "unchanged" for f in entry["files"]})
                        continue
                    context.log.info("building split set %s of %s/%s", config.name, source, version)
                    local = cached_download(
                        store, item["key"], item["sha256"], item["size"], settings.cache_folder
                    )
                    entry = publish_split_set(store, document, config, local, Path(work))
                    document["splits"][config.name] = entry
                    actions.update({f["key"]: "uploaded" for f in entry["files"]})
        except (SplitError, SplitSetError, StoreError) as error:
            summary.update(status="failed", error=str(error))
            raise Failure(
                description=f"split sets of {source}/{version} were not published: {error}",
                metadata={SUMMARY_METADATA_KEY: MetadataValue.json(summary)},
            ) from error

        if document["splits"] != (dataset.get("splits") or {}):
            publish_metadata(store, document)
        split_files = [f for entry in document["splits"].values() for f in entry["files"]]
        summary["files"] = [
            {
                "key": f["key"],
                "action": actions.get(f["key"], "unchanged"),
                "sha256": f["sha256"],
                "size": f["size"],
            }
            for f in split_files
        ]
        summary["uploaded_bytes"] = sum(
            f["size"] for f in split_files if actions.get(f["key"]) == "uploaded"
        )
        return Output(
            document,
            data_version=DataVersion(content_hash((f["key"], f["sha256"]) for f in split_files)),
            metadata={
                "split_sets": len(document["splits"]),
                "files": files_table(split_files, actions),
                "counts": MetadataValue.json(
                    {name: entry["counts"] for name, entry in document["splits"].items()}
                ),
                SUMMARY_METADATA_KEY: MetadataValue.json(summary),
            },
        )

    return split_sets


def _work_root(home: Path) -> Path:
    root = home / "work"
    root.mkdir(parents=True, exist_ok=True)
    return root
