"""YAML manifests regenerated from the registry, one per dataset version and model version.

They are written to the state folder's `manifests/` and to the store under `manifests/`, so a
reader with only the bucket still finds file counts, checksums and lineage in plain text.
"""

import hashlib
from pathlib import Path
from typing import Any

import yaml

from gnosis_assets.settings import MANIFESTS_PREFIX
from gnosis_assets.stores.base import ObjectStore


def dataset_manifest(document: dict[str, Any]) -> dict[str, Any]:
    splits = {
        name: {
            "strategy": split_set.get("strategy"),
            "seed": split_set.get("seed"),
            "files": [
                {"key": item["key"], "sha256": item["sha256"], "size": item["size"]}
                for item in split_set.get("files", [])
            ],
        }
        for name, split_set in sorted((document.get("splits") or {}).items())
    }
    return {
        "kind": "dataset_version",
        "source": document["source"],
        "version": document["version"],
        "content_hash": document["content_hash"],
        "file_count": document["file_count"],
        "total_bytes": document["total_bytes"],
        "s3_prefix": document["s3_prefix"],
        "metadata_sha256": document["metadata_sha256"],
        "files": [
            {
                "name": item["name"],
                "key": item["key"],
                "size": item["size"],
                "sha256": item["sha256"],
            }
            for item in document["files"]
        ],
        "splits": splits,
    }


def model_manifest(document: dict[str, Any], artifacts: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "kind": "model_version",
        "model": document["model"],
        "version": document["version"],
        "description": document.get("description", ""),
        "datasets": document["datasets"],
        "artifact_count": len(artifacts),
        "artifacts": [
            {
                "key": item["key"],
                "kind": item["kind"],
                "size": item["size"],
                "sha256": item["sha256"],
            }
            for item in artifacts
        ],
    }


def render(manifest: dict[str, Any]) -> bytes:
    return yaml.safe_dump(manifest, sort_keys=True, allow_unicode=True).encode("utf-8")


def write_manifest(
    store: ObjectStore, folder: Path, relative: str, manifest: dict[str, Any]
) -> str:
    """Write one manifest to the folder and the store; return its store key."""
    data = render(manifest)
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".yaml.tmp")
    temporary.write_bytes(data)
    temporary.replace(path)
    key = f"{MANIFESTS_PREFIX}/{relative}"
    existing = store.head(key)
    if existing is None or existing.sha256 != hashlib.sha256(data).hexdigest():
        store.put_bytes(key, data, content_type="application/yaml")
    return key


def dataset_manifest_path(source: str, version: str) -> str:
    return f"datasets/{source}/{version}.yaml"


def model_manifest_path(model: str, version: str) -> str:
    return f"models/{model}/{version}.yaml"
