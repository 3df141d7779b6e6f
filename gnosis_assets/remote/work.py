"""The sync of one version outside Dagster, over volumes mounted as folders.

This code runs inside the Modal function and in the local Pipes subprocess. It builds a
SyncContext from the settings and publishes the version with the same sync code as the
in-process assets. Then it re-hashes what it published and returns JSON-compatible results,
which the Pipes entrypoint reports to Dagster. The registry is written on the Dagster side,
so the remote side needs the store's credentials only.
"""

import logging
from dataclasses import dataclass, field
from typing import Any

from gnosis_assets.defs.assets.common import SUMMARY_METADATA_KEY
from gnosis_assets.defs.checks import check_objects
from gnosis_assets.splits import SplitConfig, SplitError
from gnosis_assets.stores.base import StoreError
from gnosis_assets.stores.factory import open_store
from gnosis_assets.sync.cache import HashCache
from gnosis_assets.sync.catalog import Catalog
from gnosis_assets.sync.context import Progress, SyncContext
from gnosis_assets.sync.datasets import sync_dataset_version
from gnosis_assets.sync.metadata import listed_files
from gnosis_assets.sync.models import sync_model_version
from gnosis_assets.sync.splitsets import SplitSetError, publish_split_sets
from gnosis_assets.volumes.factory import datasets_volume, models_volume

log = logging.getLogger(__name__)

UPLOAD_CHECK = "uploads_match_checksums"  # the check the remote sync reports after uploading


class RemoteSyncError(RuntimeError):
    """A version that the remote sync did not publish; the message names it and the cause."""


@dataclass
class RemoteResult:
    """Materializations and check results of one version, in the Pipes message shapes."""

    materializations: list[dict[str, Any]] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)
    record: dict[str, Any] | None = None  # model versions: the record for the registry

    def to_dict(self) -> dict[str, Any]:
        return {
            "materializations": self.materializations,
            "checks": self.checks,
            "record": self.record,
        }


def _context(settings: Any, run_id: str) -> SyncContext:
    return SyncContext(
        settings=settings,
        datasets_volume=datasets_volume(settings),
        models_volume=models_volume(settings),
        store=open_store(settings),
        cache=HashCache(settings.home / "hash_cache.sqlite"),
        run_id=run_id,
        log=log,
        progress=Progress(log),
    )


def _upload_check(context: SyncContext, asset_key: str, files: list[dict[str, Any]]) -> dict:
    failures = check_objects(context.store, files)
    return {
        "asset_key": asset_key,
        "check_name": UPLOAD_CHECK,
        "passed": not failures,
        "metadata": {
            "objects_checked": len(files),
            "bytes_checked": sum(item["size"] for item in files),
            "failures": {"raw_value": failures, "type": "json"},
        },
    }


def _publish_splits(
    context: SyncContext, catalog: Catalog, document: dict[str, Any]
) -> dict[str, Any]:
    """Build the split sets that are missing or stale; return the updated document."""
    configs = [
        SplitConfig.from_mapping(item) for item in catalog.sources[document["source"]].splits
    ]
    result = publish_split_sets(
        context.store,
        document,
        configs,
        cache=context.settings.cache_folder,
        work_root=context.settings.home / "work",
        log=log,
    )
    return result.document


def sync_dataset(settings: Any, catalog: Catalog, source: str, version: str, run_id: str) -> dict:
    """Publish one dataset version with its split sets; raise RemoteSyncError on failure."""
    context = _context(settings, run_id)
    try:
        result = sync_dataset_version(context, source, version)
    finally:
        if context.cache is not None:
            context.cache.close()
    if result.status == "failed" or result.metadata is None:
        raise RemoteSyncError(f"dataset {source}/{version} was not published: {result.error}")
    try:
        document = _publish_splits(context, catalog, result.metadata)
    except (SplitError, SplitSetError, StoreError) as error:
        raise RemoteSyncError(
            f"split sets of {source}/{version} were not published: {error}"
        ) from error

    split_files = [f for entry in document["splits"].values() for f in entry["files"]]
    remote = RemoteResult()
    remote.materializations.append(
        {
            "asset_key": f"datasets/{source}",
            "data_version": document["content_hash"],
            "metadata": {
                "content_hash": document["content_hash"],
                "file_count": document["file_count"],
                "total_bytes": document["total_bytes"],
                "s3_prefix": {"raw_value": document["s3_prefix"], "type": "url"},
                "outcome": result.status,
                "uploaded_bytes": result.uploaded_bytes,
                "files_trusted_from_cache": result.trusted_files,
                SUMMARY_METADATA_KEY: {"raw_value": result.summary(), "type": "json"},
            },
        }
    )
    remote.materializations.append(
        {
            "asset_key": f"splits/{source}",
            "data_version": None,
            "metadata": {
                "split_sets": len(document["splits"]),
                "split_files": len(split_files),
            },
        }
    )
    remote.checks.append(_upload_check(context, f"datasets/{source}", listed_files(document)))
    return remote.to_dict()


def sync_model(settings: Any, catalog: Catalog, model: str, version: str, run_id: str) -> dict:
    """Publish one model version; raise RemoteSyncError on failure."""
    context = _context(settings, run_id)
    result = sync_model_version(context, catalog, model, version)
    if result.status == "failed" or result.record is None:
        raise RemoteSyncError(f"model {model}/{version} was not published: {result.error}")
    remote = RemoteResult(record=result.record)
    remote.materializations.append(
        {
            "asset_key": f"models/{model}/eval_reports",
            "data_version": None,
            "metadata": {
                "file_count": len(result.record["files"]),
                "s3_prefix": {"raw_value": result.record["s3_prefix"], "type": "url"},
                "outcome": result.status,
                "uploaded_bytes": result.uploaded_bytes,
                SUMMARY_METADATA_KEY: {"raw_value": result.summary(), "type": "json"},
            },
        }
    )
    return remote.to_dict()
