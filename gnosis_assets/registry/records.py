"""Registry documents built from what the sync published."""

from typing import Any


def dataset_document(metadata: dict[str, Any], metadata_sha256: str, metadata_uri: str) -> dict:
    """Return the `datasets` document for a published metadata.json."""
    return {
        "source": metadata["source"],
        "version": metadata["version"],
        "content_hash": metadata["content_hash"],
        "file_count": metadata["file_count"],
        "total_bytes": metadata["total_bytes"],
        "prefix": metadata["prefix"],
        "s3_prefix": metadata["s3_prefix"],
        "metadata_uri": metadata_uri,
        "metadata_sha256": metadata_sha256,
        "synced_at": metadata["synced_at"],
        "dagster_run_id": metadata["dagster_run_id"],
        "product": metadata["product"],
        "files": [
            {
                "key": item["key"],
                "name": item["name"],
                "size": item["size"],
                "sha256": item["sha256"],
                "content_type": item["content_type"],
                "rows": item.get("rows"),
                "s3_uri": item["s3_uri"],
            }
            for item in metadata["files"]
        ],
        "splits": metadata.get("splits") or {},
        "previous_content_hashes": metadata.get("previous_content_hashes", []),
        "missing_from_volume": False,
    }


def model_document(record: dict[str, Any]) -> dict[str, Any]:
    """Return the `models` document for a published model version."""
    return {
        "model": record["model"],
        "version": record["version"],
        "description": record.get("description", ""),
        "task": record.get("task"),
        "prefix": record["prefix"],
        "s3_prefix": record["s3_prefix"],
        "datasets": record["datasets"],
        "artifact_keys": [item["key"] for item in record["files"]],
        "synced_at": record["synced_at"],
        "dagster_run_id": record["dagster_run_id"],
        "product": record["product"],
    }


def artifact_documents(record: dict[str, Any]) -> list[dict[str, Any]]:
    """Return one `artifacts` document per file of a model version."""
    return [
        {
            "key": item["key"],
            "model": record["model"],
            "version": record["version"],
            "name": item["name"],
            "kind": item["kind"],
            "size": item["size"],
            "sha256": item["sha256"],
            "content_type": item["content_type"],
            "s3_uri": item["s3_uri"],
            "source_path": item["source_path"],
        }
        for item in record["files"]
    ]
