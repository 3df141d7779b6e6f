"""The timestamped sync report: every file synced or skipped, totals and per-version status."""

from datetime import datetime
from typing import Any

from gnosis_assets.lib.canonical import canonical_json
from gnosis_assets.settings import SYNC_REPORTS_PREFIX
from gnosis_assets.stores.base import ObjectStore
from gnosis_assets.sync.context import iso_utc

LATEST_REPORT_KEY = f"{SYNC_REPORTS_PREFIX}/latest.json"


def report_id_for(moment: datetime) -> str:
    """Return the report id, `YYYYmmdd_HHMMSS` in UTC; it names the report's key."""
    return moment.strftime("%Y%m%d_%H%M%S")


def build_report(
    *,
    started_at: datetime,
    ended_at: datetime,
    datasets: list[dict[str, Any]],
    models: list[dict[str, Any]],
    splits: list[dict[str, Any]],
    run_ids: list[str],
    store_description: str,
    store_objects: int,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Assemble the report from the per-version summaries of one sync."""
    entries = [*datasets, *splits, *models]
    files = [item for entry in entries for item in entry.get("files", [])]
    failed = [entry for entry in entries if entry["status"] == "failed"]
    return {
        "report_id": report_id_for(started_at),
        "started_at": iso_utc(started_at),
        "ended_at": iso_utc(ended_at),
        "status": "failed" if failed else "ok",
        "store": store_description,
        "store_objects": store_objects,
        "dagster_run_ids": sorted(run_ids),
        "datasets": datasets,
        "models": models,
        "splits": splits,
        "totals": {
            "datasets": len(datasets),
            "datasets_failed": sum(entry["status"] == "failed" for entry in datasets),
            "models": len(models),
            "models_failed": sum(entry["status"] == "failed" for entry in models),
            "split_sets_failed": sum(entry["status"] == "failed" for entry in splits),
            "files": len(files),
            "files_uploaded": sum(item["action"] == "uploaded" for item in files),
            "files_unchanged": sum(item["action"] == "unchanged" for item in files),
            "files_trusted_from_cache": sum(item["action"] == "trusted" for item in files),
            "bytes_total": sum(item["size"] for item in files),
            "bytes_uploaded": sum(entry.get("uploaded_bytes", 0) for entry in entries),
            "bytes_read": sum(entry.get("read_bytes", 0) for entry in entries),
            "retries": sum(entry.get("retries", 0) for entry in entries),
        },
        **(extra or {}),
    }


def publish_report(store: ObjectStore, report: dict[str, Any]) -> tuple[str, str]:
    """Write the report under its timestamped key and as latest.json; return both keys."""
    data = canonical_json(report)
    key = f"{SYNC_REPORTS_PREFIX}/{report['report_id']}_sync_report.json"
    latest = LATEST_REPORT_KEY
    store.put_bytes(key, data, content_type="application/json")
    store.put_bytes(latest, data, content_type="application/json")
    return key, latest


def count_objects(store: ObjectStore) -> int:
    return sum(1 for _ in store.list(""))
