"""The metadata.json document of a dataset version: read, build and publish."""

import json
from typing import Any

from gnosis_assets.lib.canonical import canonical_json
from gnosis_assets.settings import DATASETS_PREFIX
from gnosis_assets.stores.base import ObjectStore

METADATA_NAME = "metadata.json"
FORMAT_VERSION = 1
RESERVED_NAMES = (METADATA_NAME, "splits")  # names the sync writes inside a version prefix


class MetadataError(ValueError):
    """A metadata.json that is missing fields or is not JSON."""


def version_prefix(source: str, version: str) -> str:
    return f"{DATASETS_PREFIX}/{source}/{version}"


def metadata_key(source: str, version: str) -> str:
    return f"{version_prefix(source, version)}/{METADATA_NAME}"


def read_metadata(store: ObjectStore, source: str, version: str) -> dict[str, Any] | None:
    """Return the published metadata.json of a version, or None if there is none."""
    key = metadata_key(source, version)
    try:
        data = b"".join(store.get_chunks(key))
    except KeyError:
        return None
    try:
        document = json.loads(data)
    except json.JSONDecodeError as error:
        raise MetadataError(f"{store.uri(key)} is not valid JSON: {error}") from error
    for field_name in ("source", "version", "files", "content_hash"):
        if field_name not in document:
            raise MetadataError(f"{store.uri(key)} has no {field_name!r} field")
    return document


def publish_metadata(store: ObjectStore, document: dict[str, Any]) -> str:
    """Write metadata.json in canonical form and return its SHA256."""
    key = metadata_key(document["source"], document["version"])
    result = store.put_bytes(key, canonical_json(document), content_type="application/json")
    return result.sha256


def listed_files(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Return every file a metadata.json lists: curated files, then split files."""
    files = list(document.get("files", []))
    for split_set in (document.get("splits") or {}).values():
        files.extend(split_set.get("files", []))
    return files
