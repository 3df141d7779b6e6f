"""The interface every object store implements, and the checks built on it."""

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

SHA256_METADATA_KEY = "sha256"  # object metadata field holding the hex SHA256 of the object


class StoreError(RuntimeError):
    """An object store operation that failed; the message names the bucket or folder and key."""


class ChecksumMismatchError(StoreError):
    """Bytes whose SHA256 differs from the one recorded for them."""


@dataclass(frozen=True)
class ObjectInfo:
    """An object as listed or inspected, without its bytes."""

    key: str
    size: int
    sha256: str | None = None  # from object metadata; None when the object carries none
    last_modified: datetime | None = None
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PutResult:
    """Result of an upload: its size and the SHA256 computed while the bytes passed."""

    key: str
    size: int
    sha256: str
    parts: int = 1
    retries: int = 0


class ObjectStore(Protocol):
    """A bucket with an optional key prefix, or a folder standing in for one."""

    def describe(self) -> str:
        """Return the store's location, such as `s3://bucket/prefix`."""
        ...

    def uri(self, key: str) -> str:
        """Return the URI of one key, for people and metadata."""
        ...

    def put_chunks(
        self,
        key: str,
        chunks: Iterable[bytes],
        *,
        content_type: str,
        metadata: dict[str, str],
        expected_sha256: str | None = None,
    ) -> PutResult:
        """Upload a stream of chunks, hashing them as they pass.

        The object ends up carrying its SHA256 as metadata. With `expected_sha256`, a stream
        that hashes to anything else raises ChecksumMismatchError and leaves no object behind.
        """
        ...

    def put_bytes(
        self, key: str, data: bytes, *, content_type: str, metadata: dict[str, str] | None = None
    ) -> PutResult:
        """Upload a small object held in memory."""
        ...

    def head(self, key: str) -> ObjectInfo | None:
        """Return the object's size and metadata, or None if it does not exist."""
        ...

    def get_chunks(self, key: str) -> Iterator[bytes]:
        """Yield the object's bytes in chunks; raise KeyError if it does not exist."""
        ...

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        """Yield every object whose key starts with `prefix`, in key order."""
        ...

    def delete(self, key: str) -> None:
        """Delete one object; deleting a missing key is not an error."""
        ...

    def move(self, source_key: str, target_key: str) -> None:
        """Move an object with its metadata to another key, replacing any object there."""
        ...

    def abort_incomplete_uploads(self, prefix: str) -> int:
        """Abort unfinished multipart uploads under `prefix` and return how many there were."""
        ...


def read_verified(store: ObjectStore, key: str, expected_sha256: str) -> bytes:
    """Download a small object whole and raise ChecksumMismatchError unless it matches."""
    data = b"".join(store.get_chunks(key))
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected_sha256:
        raise ChecksumMismatchError(
            f"{store.uri(key)}: SHA256 {actual} does not match the recorded {expected_sha256}. "
            "The object was changed after it was published; run `gnosis verify` and re-sync."
        )
    return data


def hash_object(store: ObjectStore, key: str) -> tuple[str, int]:
    """Download an object in chunks and return its SHA256 and size."""
    digest = hashlib.sha256()
    size = 0
    for chunk in store.get_chunks(key):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size
