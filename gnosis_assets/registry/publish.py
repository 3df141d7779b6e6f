"""Record a published version in the registry and regenerate its YAML manifest.

Both execution paths call these: the in-process registry assets and the Pipes-backed assets.
"""

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gnosis_assets.lib.canonical import canonical_json
from gnosis_assets.registry.client import Registry
from gnosis_assets.registry.manifests import (
    dataset_manifest,
    dataset_manifest_path,
    model_manifest,
    model_manifest_path,
    write_manifest,
)
from gnosis_assets.registry.records import artifact_documents, dataset_document, model_document
from gnosis_assets.stores.base import ObjectStore, read_verified
from gnosis_assets.sync.metadata import metadata_key


@dataclass(frozen=True)
class RecordResult:
    registry_id: str
    changed: bool
    manifest_uri: str
    metadata_sha256: str | None = None
    artifacts: int = 0


def publish_dataset_record(
    store: ObjectStore, registry: Registry, manifests: Path, metadata: dict[str, Any]
) -> RecordResult:
    """Upsert the dataset document for `metadata` and write its manifest.

    The registry records only what metadata.json in the store contains, byte for byte: a store copy
    that differs from `metadata` raises ChecksumMismatchError (or KeyError if it is missing).
    """
    source, version = metadata["source"], metadata["version"]
    key = metadata_key(source, version)
    sha256 = hashlib.sha256(canonical_json(metadata)).hexdigest()
    read_verified(store, key, sha256)
    changed = registry.upsert_dataset(dataset_document(metadata, sha256, store.uri(key)))
    stored = registry.dataset(source, version)
    assert stored is not None
    manifest_key = write_manifest(
        store, manifests, dataset_manifest_path(source, version), dataset_manifest(stored)
    )
    return RecordResult(
        registry_id=f"{source}/{version}",
        changed=changed,
        manifest_uri=store.uri(manifest_key),
        metadata_sha256=sha256,
    )


def publish_model_record(
    store: ObjectStore, registry: Registry, manifests: Path, record: dict[str, Any]
) -> RecordResult:
    """Upsert the model and artifact documents of a model version and write its manifest."""
    model, version = record["model"], record["version"]
    artifacts = artifact_documents(record)
    changed = registry.upsert_model(model_document(record))
    for artifact in artifacts:
        changed = registry.upsert_artifact(artifact) or changed
    stored = registry.model(model, version)
    assert stored is not None
    manifest_key = write_manifest(
        store,
        manifests,
        model_manifest_path(model, version),
        model_manifest(stored, registry.artifacts(model, version)),
    )
    return RecordResult(
        registry_id=f"{model}/{version}",
        changed=changed,
        manifest_uri=store.uri(manifest_key),
        artifacts=len(artifacts),
    )
