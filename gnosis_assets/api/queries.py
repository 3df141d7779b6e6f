"""Registry reads behind the API, with projections so that no request loads per-file lists
it does not return."""

from datetime import UTC, datetime
from typing import Any

from gnosis_assets.registry.client import Registry
from gnosis_assets.registry.stats import BYTES_PER_MB

SUMMARY_DATASET_FIELDS = {
    "_id": 0,
    "source": 1,
    "version": 1,
    "file_count": 1,
    "total_bytes": 1,
    "content_hash": 1,
    "s3_prefix": 1,
    "synced_at": 1,
    "missing_from_volume": 1,
    # Split sets are summarized from their file lists, which hold a few files each.
    "splits": 1,
}
SUMMARY_MODEL_FIELDS = {
    "_id": 0,
    "model": 1,
    "version": 1,
    "task": 1,
    "description": 1,
    "synced_at": 1,
    "datasets": 1,
    "artifact_keys": 1,
}
# A report lists every file of every version it synced; the page leaves those lists out.
REPORT_PAGE_EXCLUDED = {"_id": 0, "datasets.files": 0, "models.files": 0, "splits.files": 0}


def discover_summary(registry: Registry) -> dict[str, Any]:
    """Summarize every dataset source, model and lineage edge, without per-file lists."""
    generated_at = datetime.now(tz=UTC)
    datasets = registry.db.datasets.find({}, SUMMARY_DATASET_FIELDS).sort(
        [("source", 1), ("version", 1)]
    )
    sources: dict[str, dict[str, Any]] = {}
    registered: dict[tuple[str, str], str] = {}
    for document in datasets:
        source = sources.setdefault(
            document["source"],
            {"source": document["source"], "versions_count": 0, "total_bytes": 0, "versions": []},
        )
        total_bytes = int(document.get("total_bytes") or 0)
        source["versions"].append(
            {
                "version": document["version"],
                "file_count": int(document.get("file_count") or 0),
                "total_bytes": total_bytes,
                "size_mb": round(total_bytes / BYTES_PER_MB, 3),
                "content_hash": document.get("content_hash", ""),
                "s3_prefix": document.get("s3_prefix", ""),
                "synced_at": document.get("synced_at"),
                "missing_from_volume": bool(document.get("missing_from_volume", False)),
                "split_sets": _split_set_summaries(document.get("splits") or {}),
            }
        )
        source["versions_count"] += 1
        source["total_bytes"] += total_bytes
        registered[(document["source"], document["version"])] = document.get("content_hash", "")

    models: dict[str, dict[str, Any]] = {}
    edges = []
    cursor = registry.db.models.find({}, SUMMARY_MODEL_FIELDS).sort([("model", 1), ("version", 1)])
    for document in cursor:
        entry = models.setdefault(
            document["model"], {"model": document["model"], "versions_count": 0, "versions": []}
        )
        declared = [_declared(item) for item in document.get("datasets", [])]
        entry["versions"].append(
            {
                "version": document["version"],
                "task": document.get("task"),
                "description": document.get("description") or "",
                "synced_at": document.get("synced_at"),
                "artifacts_count": len(document.get("artifact_keys", [])),
                "datasets": declared,
            }
        )
        entry["versions_count"] += 1
        for item in declared:
            current = registered.get((item["source"], item["version"]))
            edges.append(
                {
                    "model": document["model"],
                    "model_version": document["version"],
                    "source": item["source"],
                    "dataset_version": item["version"],
                    "role": item["role"],
                    "split": item["split"],
                    "content_hash": item["content_hash"],
                    "dataset_registered": current is not None,
                    "content_hash_matches": current is not None and current == item["content_hash"],
                }
            )

    return {
        "generated_at": generated_at,
        "datasets": list(sources.values()),
        "models": list(models.values()),
        "lineage": edges,
    }


def _split_set_summaries(splits: dict[str, Any]) -> list[dict[str, Any]]:
    summaries = []
    for name in sorted(splits):
        split_set = splits[name] or {}
        files = split_set.get("files") or []
        rows = [item.get("rows") for item in files]
        summaries.append(
            {
                "name": name,
                "strategy": split_set.get("strategy"),
                "seed": split_set.get("seed"),
                "file_count": len(files),
                "rows": sum(rows) if rows and None not in rows else None,
            }
        )
    return summaries


def _declared(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "source": item["source"],
        "version": item["version"],
        "role": item.get("role", "train"),
        "split": item.get("split"),
        "content_hash": item.get("content_hash"),
    }


def model_detail(registry: Registry, model: str, version: str) -> dict[str, Any] | None:
    """Return a model version with its artifacts grouped by kind, or None if unknown."""
    record = registry.model(model, version)
    if record is None:
        return None
    manifest = None
    reports = []
    others = []
    for artifact in registry.artifacts(model, version):
        if artifact.get("kind") == "model_manifest":
            manifest = artifact
        elif artifact.get("kind") == "eval_report":
            reports.append(artifact)
        else:
            others.append(artifact)
    return {
        **record,
        "datasets": [_declared(item) for item in record.get("datasets", [])],
        "manifest": manifest,
        "reports": reports,
        "artifacts": others,
    }


def sync_report_page(registry: Registry, offset: int, limit: int) -> dict[str, Any]:
    """Return one page of sync reports, latest first, without their per-file lists."""
    collection = registry.db.sync_reports
    cursor = (
        collection.find({}, REPORT_PAGE_EXCLUDED)
        .sort([("started_at", -1), ("report_id", -1)])
        .skip(offset)
        .limit(limit)
    )
    return {
        "total": int(collection.count_documents({})),
        "offset": offset,
        "limit": limit,
        "items": list(cursor),
    }


def sync_report(registry: Registry, report_id: str) -> dict[str, Any] | None:
    """Return one sync report in full, or None if unknown."""
    return registry.db.sync_reports.find_one({"_id": report_id}, {"_id": 0})
