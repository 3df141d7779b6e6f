"""The MongoDB registry: collections, indexes and idempotent upserts, in plain pymongo.

Collections:
- `datasets`: one document per source and version, with files, checksums and split sets.
- `models`: one document per model and version, with the dataset versions it declares.
- `artifacts`: one document per file a model version owns (evaluation reports and others).
- `sync_reports`: one document per sync.
- `verifications`: one document per `gnosis verify` run.
"""

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pymongo
from pymongo.database import Database

from gnosis_assets.settings import Settings

INDEXES: dict[str, list[tuple[list[tuple[str, int]], bool]]] = {
    "datasets": [([("source", 1), ("version", 1)], True)],
    "models": [([("model", 1), ("version", 1)], True)],
    "artifacts": [([("key", 1)], True), ([("model", 1), ("version", 1)], False)],
    "sync_reports": [([("report_id", 1)], True), ([("started_at", -1)], False)],
    "verifications": [([("checked_at", -1)], False)],
}


def connect(settings: Settings, timeout_ms: int = 10_000) -> pymongo.MongoClient:
    """Connect to MONGODB_URI, or to the embedded server of the state folder."""
    uri = settings.mongodb_uri
    if uri is None:
        from gnosis_assets.registry.embedded import ensure_embedded_server

        uri = ensure_embedded_server(settings.home / "mongodb")
    return pymongo.MongoClient(uri, serverSelectionTimeoutMS=timeout_ms, tz_aware=True)


@contextmanager
def open_registry(settings: Settings) -> Iterator["Registry"]:
    client = connect(settings)
    try:
        registry = Registry(client[settings.mongodb_database])
        registry.ensure_indexes()
        yield registry
    finally:
        client.close()


VOLATILE_FIELDS = ("synced_at", "dagster_run_id")


def _without_volatile(document: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in document.items() if key not in VOLATILE_FIELDS}


def _strip_id(document: dict[str, Any] | None) -> dict[str, Any] | None:
    if document is None:
        return None
    result = dict(document)
    result.pop("_id", None)
    return result


class Registry:
    def __init__(self, database: Database) -> None:
        self.db = database

    def ensure_indexes(self) -> None:
        for collection, indexes in INDEXES.items():
            for keys, unique in indexes:
                self.db[collection].create_index(keys, unique=unique)

    def _upsert(self, collection: str, document_id: str, document: dict[str, Any]) -> bool:
        """Replace the document unless it is the same; return whether it changed.

        Fields in VOLATILE_FIELDS (when and by which run a record was written) do not count,
        so a sync that finds nothing new leaves the registry as it was.
        """
        body = copy.deepcopy(document)
        body["_id"] = document_id
        existing = self.db[collection].find_one({"_id": document_id})
        if existing is not None and _without_volatile(existing) == _without_volatile(body):
            return False
        self.db[collection].replace_one({"_id": document_id}, body, upsert=True)
        return True

    def upsert_dataset(self, document: dict[str, Any]) -> bool:
        return self._upsert("datasets", f"{document['source']}/{document['version']}", document)

    def upsert_model(self, document: dict[str, Any]) -> bool:
        return self._upsert("models", f"{document['model']}/{document['version']}", document)

    def upsert_artifact(self, document: dict[str, Any]) -> bool:
        return self._upsert("artifacts", document["key"], document)

    def insert_sync_report(self, report: dict[str, Any]) -> None:
        self._upsert("sync_reports", report["report_id"], report)

    def insert_verification(self, document: dict[str, Any]) -> None:
        self.db.verifications.insert_one(copy.deepcopy(document))

    def mark_dataset_missing(self, source: str, version: str, missing: bool) -> bool:
        result = self.db.datasets.update_one(
            {"_id": f"{source}/{version}", "missing_from_volume": {"$ne": missing}},
            {"$set": {"missing_from_volume": missing}},
        )
        return result.modified_count > 0

    def mark_model_missing(self, model: str, version: str, missing: bool) -> bool:
        """Set `missing_from_volume` on a model version; return whether the flag changed."""
        result = self.db.models.update_one(
            {"_id": f"{model}/{version}", "missing_from_volume": {"$ne": missing}},
            {"$set": {"missing_from_volume": missing}},
        )
        return result.modified_count > 0

    def dataset(self, source: str, version: str) -> dict[str, Any] | None:
        return _strip_id(self.db.datasets.find_one({"_id": f"{source}/{version}"}))

    def model(self, model: str, version: str) -> dict[str, Any] | None:
        return _strip_id(self.db.models.find_one({"_id": f"{model}/{version}"}))

    def datasets(self) -> list[dict[str, Any]]:
        cursor = self.db.datasets.find({}).sort([("source", 1), ("version", 1)])
        return [_strip_id(item) for item in cursor]  # type: ignore[misc]

    def models(self) -> list[dict[str, Any]]:
        cursor = self.db.models.find({}).sort([("model", 1), ("version", 1)])
        return [_strip_id(item) for item in cursor]  # type: ignore[misc]

    def artifacts(self, model: str | None = None, version: str | None = None) -> list[dict]:
        query: dict[str, Any] = {}
        if model is not None:
            query["model"] = model
        if version is not None:
            query["version"] = version
        cursor = self.db.artifacts.find(query).sort([("key", 1)])
        return [_strip_id(item) for item in cursor]  # type: ignore[misc]

    def latest_sync_report(self) -> dict[str, Any] | None:
        document = self.db.sync_reports.find_one({}, sort=[("started_at", -1)])
        return _strip_id(document)

    def sync_reports(self, skip: int = 0, limit: int = 20) -> list[dict[str, Any]]:
        cursor = self.db.sync_reports.find({}).sort([("started_at", -1)]).skip(skip).limit(limit)
        return [_strip_id(item) for item in cursor]  # type: ignore[misc]

    def count(self, collection: str) -> int:
        return int(self.db[collection].count_documents({}))
