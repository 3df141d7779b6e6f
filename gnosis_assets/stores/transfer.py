"""Verified downloads: bytes reach their destination only after their SHA256 matched."""

import hashlib
import os
import uuid
from pathlib import Path

from gnosis_assets.stores.base import ChecksumMismatchError, ObjectStore


def download_verified(
    store: ObjectStore, key: str, sha256: str, size: int | None, destination: Path
) -> Path:
    """Download `key` to `destination`, hashing as it streams, and rename only if it matches.

    On a mismatch or a missing object nothing is left at `destination`.
    """
    destination.parent.mkdir(parents=True, exist_ok=True)
    temporary = destination.with_name(f".{destination.name}.{uuid.uuid4().hex}.partial")
    digest = hashlib.sha256()
    written = 0
    try:
        with temporary.open("wb") as handle:
            for chunk in store.get_chunks(key):
                digest.update(chunk)
                written += len(chunk)
                handle.write(chunk)
        actual = digest.hexdigest()
        if size is not None and written != size:
            raise ChecksumMismatchError(
                f"{store.uri(key)}: downloaded {written} bytes, metadata.json records {size}"
            )
        if actual != sha256:
            raise ChecksumMismatchError(
                f"{store.uri(key)}: SHA256 {actual} does not match the recorded {sha256}. "
                "The object changed after it was published; run `gnosis verify`, then re-sync."
            )
        os.replace(temporary, destination)
    finally:
        temporary.unlink(missing_ok=True)
    return destination


def cached_download(store: ObjectStore, key: str, sha256: str, size: int, cache: Path) -> Path:
    """Return a local copy of a verified object from a cache addressed by SHA256."""
    path = cache / sha256[:2] / sha256
    if path.is_file():
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            while chunk := handle.read(1024 * 1024):
                digest.update(chunk)
        if digest.hexdigest() == sha256:
            return path
        path.unlink()
    return download_verified(store, key, sha256, size, path)
