"""SHA256 helpers: streaming file hashes and the content hash of a dataset version."""

import hashlib
from collections.abc import Iterable
from pathlib import Path

CHUNK_SIZE = 1024 * 1024  # 1 MiB: large enough for throughput, small enough to keep memory flat


def sha256_file(path: Path, chunk_size: int = CHUNK_SIZE) -> tuple[str, int]:
    """Hash a file in chunks and return its hex SHA256 and size in bytes."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def content_hash(pairs: Iterable[tuple[str, str]]) -> str:
    """Hash sorted (key, SHA256) pairs into the identity of a dataset version.

    Each pair is written as `key<TAB>sha256<LF>`, so keys with tabs or newlines are rejected
    upstream by key validation.
    """
    digest = hashlib.sha256()
    for key, sha256 in sorted(pairs):
        digest.update(f"{key}\t{sha256}\n".encode())
    return digest.hexdigest()
