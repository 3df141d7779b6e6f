"""The registry stats document, shared by `gnosis stats` and the HTTP API."""

from typing import Any

from gnosis_assets.registry.client import Registry

BYTES_PER_MB = 1024 * 1024  # sizes are reported in MiB


def registry_stats(registry: Registry) -> dict[str, Any]:
    """Count what the registry records; `s3_objects` is the count taken by the last sync."""
    total_bytes = 0
    for document in registry.db.datasets.find({}, {"total_bytes": 1}):
        total_bytes += int(document.get("total_bytes") or 0)
    latest = registry.latest_sync_report()
    return {
        "datasets_count": registry.count("datasets"),
        "dataset_sources_count": len(registry.db.datasets.distinct("source")),
        "models_count": registry.count("models"),
        "model_names_count": len(registry.db.models.distinct("model")),
        "artifacts_count": registry.count("artifacts"),
        "total_dataset_size_mb": round(total_bytes / BYTES_PER_MB, 3),
        "total_dataset_bytes": total_bytes,
        "s3_objects": (latest or {}).get("store_objects", 0),
        "last_sync": None
        if latest is None
        else {
            "report_id": latest["report_id"],
            "started_at": latest["started_at"],
            "ended_at": latest["ended_at"],
            "status": latest["status"],
        },
    }
