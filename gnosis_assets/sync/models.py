"""Publish one model version: its model.yaml, evaluation reports and other files.

model.yaml is the model's declaration of the dataset versions it was trained and evaluated on.
The sync pins each declared version to the content hash published for it, so lineage leads to
exact bytes.
"""

from dataclasses import dataclass, field
from typing import Any

import yaml

from gnosis_assets.lib.keys import InvalidPathError, validate_relative_path
from gnosis_assets.lib.tables import ParseError
from gnosis_assets.settings import MODELS_PREFIX
from gnosis_assets.stores.base import StoreError
from gnosis_assets.sync.catalog import Catalog, validate_name
from gnosis_assets.sync.context import SyncContext, iso_utc, utc_now
from gnosis_assets.sync.files import (
    SourceChangedError,
    build_record,
    object_matches,
    read_and_profile,
    upload_file,
)
from gnosis_assets.sync.metadata import read_metadata
from gnosis_assets.volumes.base import FileEntryType, VolumeError

MANIFEST_NAME = "model.yaml"
ROLES = ("train", "validation", "evaluation", "test")


class ModelSyncError(RuntimeError):
    """A model version that was not published; the message names the file and field."""


@dataclass
class ModelSyncResult:
    model: str
    version: str
    status: str  # "published", "unchanged" or "failed"
    record: dict[str, Any] | None = None
    files: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    uploaded_bytes: int = 0
    read_bytes: int = 0

    def summary(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "version": self.version,
            "status": "failed" if self.status == "failed" else "ok",
            "outcome": self.status,
            "error": self.error,
            "file_count": len(self.files),
            "uploaded_bytes": self.uploaded_bytes,
            "read_bytes": self.read_bytes,
            "files": self.files,
        }


def model_prefix(model: str, version: str) -> str:
    return f"{MODELS_PREFIX}/{model}/{version}"


def parse_manifest(data: bytes, model: str, version: str, catalog: Catalog) -> dict[str, Any]:
    """Validate a model.yaml and return its content; errors name the field and the fix."""
    where = f"model {model}/{version}: {MANIFEST_NAME}"
    try:
        document = yaml.safe_load(data.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise ModelSyncError(f"{where} is not valid YAML: {error}") from error
    if not isinstance(document, dict):
        raise ModelSyncError(f"{where} must be a mapping with model, version and datasets")
    for field_name, expected in (("model", model), ("version", version)):
        if document.get(field_name) != expected:
            raise ModelSyncError(
                f"{where}: field {field_name!r} is {document.get(field_name)!r} but the folder "
                f"says {expected!r}; make them agree"
            )
    datasets = document.get("datasets")
    if not isinstance(datasets, list) or not datasets:
        raise ModelSyncError(f"{where}: 'datasets' must list the dataset versions the model used")
    allowed = catalog.models[model].datasets if model in catalog.models else ()
    declared = []
    for index, item in enumerate(datasets):
        label = f"{where}: datasets[{index}]"
        if not isinstance(item, dict):
            raise ModelSyncError(f"{label} must be a mapping with source, version and role")
        source, dataset_version = item.get("source"), item.get("version")
        role = item.get("role", "train")
        try:
            validate_name(source, "source")
            validate_name(dataset_version, "version")
        except ValueError as error:
            raise ModelSyncError(f"{label}: {error}") from error
        if source not in allowed:
            raise ModelSyncError(
                f"{label}: source {source!r} is not among the sources catalog.yaml lists for "
                f"{model} ({', '.join(allowed) or 'none'}); add it there so the asset graph "
                "shows the dependency"
            )
        if role not in ROLES:
            raise ModelSyncError(f"{label}: role {role!r} is not one of {', '.join(ROLES)}")
        declared.append(
            {
                "source": source,
                "version": dataset_version,
                "role": role,
                "split": item.get("split"),
            }
        )
    document["datasets"] = declared
    return document


def sync_model_version(
    context: SyncContext, catalog: Catalog, model: str, version: str
) -> ModelSyncResult:
    """Publish one model version and return what happened.

    Bad input (an invalid model.yaml, unpublished datasets, store errors) gives a failed result
    instead of an exception.
    """
    result = ModelSyncResult(model=model, version=version, status="failed")
    try:
        _publish(context, catalog, model, version, result)
    except (
        ModelSyncError,
        InvalidPathError,
        ParseError,
        SourceChangedError,
        StoreError,
        VolumeError,
        FileNotFoundError,
    ) as error:
        result.error = str(error)
        context.log.error("model %s/%s failed: %s", model, version, error)
    return result


def _publish(
    context: SyncContext, catalog: Catalog, model: str, version: str, result: ModelSyncResult
) -> None:
    volume = context.models_volume
    folder = f"{model}/{version}"
    where = f"model {folder} on {volume.describe()}"
    entries = [
        entry
        for entry in volume.iterdir(folder, recursive=True)
        if entry.type != FileEntryType.DIRECTORY
    ]
    for entry in entries:
        if entry.type != FileEntryType.FILE:
            raise ModelSyncError(f"{where}: {entry.path!r} is not a regular file")
        validate_relative_path(entry.path[len(folder) + 1 :], where=where)
    names = {entry.path[len(folder) + 1 :]: entry for entry in entries}
    if MANIFEST_NAME not in names:
        raise ModelSyncError(
            f"{where}: {MANIFEST_NAME} is missing; add one that declares the dataset versions "
            "the model was trained and evaluated on"
        )

    manifest = parse_manifest(
        b"".join(volume.read_chunks(names[MANIFEST_NAME].path)), model, version, catalog
    )
    pinned = _pin_datasets(context, where, manifest["datasets"])

    records = []
    for name, entry in sorted(names.items()):
        key = f"{model_prefix(model, version)}/{name}"
        sha256, size, profile = read_and_profile(volume, entry, name)
        result.read_bytes += size
        action = "unchanged"
        if not object_matches(context.store.head(key), sha256, size):
            provenance = {"source-volume": volume.name, "source-path": entry.path}
            sha256, size, profile, _parts, _retries = upload_file(
                volume, entry, name, context.store, key, provenance, expected_sha256=sha256
            )
            result.uploaded_bytes += size
            result.read_bytes += size
            action = "uploaded"
        context.progress.advance(key, size, action)
        record = build_record(
            key, name, entry, volume, sha256, size, profile.to_dict(), context.store
        )
        record["kind"] = _artifact_kind(name)
        records.append(record)
        result.files.append({"key": key, "action": action, "sha256": sha256, "size": size})

    result.record = {
        "model": model,
        "version": version,
        "description": manifest.get("description", ""),
        "task": manifest.get("task"),
        "prefix": model_prefix(model, version),
        "s3_prefix": context.store.uri(model_prefix(model, version)) + "/",
        "datasets": pinned,
        "files": records,
        "synced_at": iso_utc(utc_now()),
        "dagster_run_id": context.run_id,
        "product": context.product,
    }
    result.status = "published" if result.uploaded_bytes else "unchanged"


def _artifact_kind(name: str) -> str:
    if name == MANIFEST_NAME:
        return "model_manifest"
    if name.startswith("reports/"):
        return "eval_report"
    return "artifact"


def _pin_datasets(
    context: SyncContext, where: str, declared: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    pinned = []
    for item in declared:
        document = read_metadata(context.store, item["source"], item["version"])
        if document is None:
            raise ModelSyncError(
                f"{where}: declares dataset {item['source']}/{item['version']}, which is not "
                "published in the store; sync that dataset version first or fix model.yaml"
            )
        split = item.get("split")
        if split and split not in (document.get("splits") or {}):
            context.log.warning(
                "%s: split set %r of %s/%s is not published yet",
                where,
                split,
                item["source"],
                item["version"],
            )
        pinned.append({**item, "content_hash": document["content_hash"]})
    return pinned
