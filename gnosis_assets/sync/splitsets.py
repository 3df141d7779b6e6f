"""Publish the split sets of a dataset version and record them in its metadata.json.

The curated file is read back from the store and verified against metadata.json first, so
the splits are built from the published bytes, not from the volume.
"""

import tempfile
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from gnosis_assets.splits import SPLIT_NAMES, SplitConfig, split_file
from gnosis_assets.stores.base import ObjectStore
from gnosis_assets.stores.transfer import cached_download
from gnosis_assets.sync.context import iso_utc, utc_now
from gnosis_assets.sync.metadata import publish_metadata, version_prefix

# Fields a metadata.json split-set entry adds to the split manifest itself.
PUBLICATION_FIELDS = ("config", "files", "built_at")


class SplitSetError(RuntimeError):
    """A split set that could not be built; the message names the dataset and split set."""


@dataclass
class SplitSetsResult:
    document: dict[str, Any]  # the dataset document with its `splits` section
    actions: dict[str, str] = field(default_factory=dict)  # split file key -> uploaded|unchanged

    @property
    def files(self) -> list[dict[str, Any]]:
        return [item for entry in self.document["splits"].values() for item in entry["files"]]


def split_prefix(source: str, version: str, name: str) -> str:
    return f"{version_prefix(source, version)}/splits/{name}"


def split_manifest_of(entry: dict[str, Any]) -> dict[str, Any]:
    """Return the split manifest inside a metadata.json split-set entry."""
    return {key: value for key, value in entry.items() if key not in PUBLICATION_FIELDS}


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
        with (output / written["file"]).open("rb") as handle:
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


def publish_split_sets(
    store: ObjectStore,
    dataset: dict[str, Any],
    configs: list[SplitConfig],
    *,
    cache: Path,
    work_root: Path,
    log: Any = None,
) -> SplitSetsResult:
    """Build every split set that is missing or stale, then rewrite metadata.json once.

    Raises SplitError, SplitSetError or StoreError; metadata.json is then left as it was.
    """
    result = SplitSetsResult(document={**dataset, "splits": dict(dataset.get("splits") or {})})
    work_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=work_root) as work:
        for config in configs:
            item = curated_file(dataset, config.file)
            entry = result.document["splits"].get(config.name)
            if entry is not None and is_current(entry, config, item["sha256"]):
                result.actions.update({f["key"]: "unchanged" for f in entry["files"]})
                continue
            if log is not None:
                log.info(
                    "building split set %s of %s/%s",
                    config.name,
                    dataset["source"],
                    dataset["version"],
                )
            local = cached_download(store, item["key"], item["sha256"], item["size"], cache)
            entry = publish_split_set(store, result.document, config, local, Path(work))
            result.document["splits"][config.name] = entry
            result.actions.update({f["key"]: "uploaded" for f in entry["files"]})
    if result.document["splits"] != (dataset.get("splits") or {}):
        publish_metadata(store, result.document)
    return result
