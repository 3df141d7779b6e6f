"""A local folder that mirrors a bucket key for key.

Object metadata lives in a sidecar tree under `.gnosis-store/` inside the folder, and uploads
are written to a temporary file there and renamed into place, so a reader never sees a
partial object.
"""

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path

from gnosis_assets.lib.hashing import CHUNK_SIZE
from gnosis_assets.stores.base import (
    SHA256_METADATA_KEY,
    ChecksumMismatchError,
    ObjectInfo,
    PutResult,
    StoreError,
)

INTERNAL_FOLDER = ".gnosis-store"


class LocalStore:
    """Objects as files below `root`; keys are relative paths with `/` separators."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._meta = root / INTERNAL_FOLDER / "meta"
        self._tmp = root / INTERNAL_FOLDER / "tmp"

    def describe(self) -> str:
        return str(self.root)

    def uri(self, key: str) -> str:
        return (self.root / key).resolve().as_uri()

    def _path(self, key: str) -> Path:
        if not key or key.startswith(("/", INTERNAL_FOLDER)) or ".." in key.split("/"):
            raise StoreError(f"local store {self.root}: invalid key {key!r}")
        return self.root / key

    def put_chunks(
        self,
        key: str,
        chunks: Iterable[bytes],
        *,
        content_type: str,
        metadata: dict[str, str],
        expected_sha256: str | None = None,
    ) -> PutResult:
        target = self._path(key)
        self._tmp.mkdir(parents=True, exist_ok=True)
        temporary = self._tmp / f"{uuid.uuid4().hex}.partial"
        digest = hashlib.sha256()
        size = 0
        try:
            with temporary.open("wb") as handle:
                for chunk in chunks:
                    digest.update(chunk)
                    size += len(chunk)
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            sha256 = digest.hexdigest()
            if expected_sha256 is not None and sha256 != expected_sha256:
                raise ChecksumMismatchError(
                    f"{self.uri(key)}: uploaded bytes hash to {sha256}, expected "
                    f"{expected_sha256}; the object was not written"
                )
            record = {
                "content_type": content_type,
                "metadata": {**metadata, SHA256_METADATA_KEY: sha256},
            }
            self._write_meta(key, record)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)
        return PutResult(key=key, size=size, sha256=sha256)

    def put_bytes(
        self, key: str, data: bytes, *, content_type: str, metadata: dict[str, str] | None = None
    ) -> PutResult:
        return self.put_chunks(key, [data], content_type=content_type, metadata=metadata or {})

    def _meta_path(self, key: str) -> Path:
        return self._meta / f"{key}.json"

    def _write_meta(self, key: str, record: Mapping[str, object]) -> None:
        path = self._meta_path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
        temporary.write_text(json.dumps(record, sort_keys=True), encoding="utf-8")
        os.replace(temporary, path)

    def _read_meta(self, key: str) -> dict[str, str]:
        try:
            record = json.loads(self._meta_path(key).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        return dict(record.get("metadata", {}))

    def head(self, key: str) -> ObjectInfo | None:
        path = self._path(key)
        try:
            info = path.stat()
        except FileNotFoundError:
            return None
        metadata = self._read_meta(key)
        return ObjectInfo(
            key=key,
            size=info.st_size,
            sha256=metadata.get(SHA256_METADATA_KEY),
            last_modified=datetime.fromtimestamp(info.st_mtime, tz=UTC),
            metadata=metadata,
        )

    def get_chunks(self, key: str) -> Iterator[bytes]:
        path = self._path(key)
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            raise KeyError(f"{self.uri(key)} does not exist") from None
        with handle:
            while chunk := handle.read(CHUNK_SIZE):
                yield chunk

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        if not self.root.is_dir():
            return
        keys = []
        for folder, subfolders, files in os.walk(self.root):
            relative_folder = Path(folder).relative_to(self.root).as_posix()
            if relative_folder == ".":
                subfolders[:] = [name for name in subfolders if name != INTERNAL_FOLDER]
                relative_folder = ""
            for name in files:
                key = f"{relative_folder}/{name}" if relative_folder else name
                if key.startswith(prefix):
                    keys.append(key)
        for key in sorted(keys):
            info = self.head(key)
            if info is not None:
                yield info

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)
        self._meta_path(key).unlink(missing_ok=True)

    def move(self, source_key: str, target_key: str) -> None:
        source, target = self._path(source_key), self._path(target_key)
        metadata = self._meta_path(source_key)
        target.parent.mkdir(parents=True, exist_ok=True)
        self._meta_path(target_key).parent.mkdir(parents=True, exist_ok=True)
        # The metadata goes first: a crash between the two renames leaves the new metadata
        # beside the old bytes, which verify reports, never new bytes under old metadata.
        os.replace(metadata, self._meta_path(target_key))
        os.replace(source, target)

    def abort_incomplete_uploads(self, prefix: str) -> int:
        # Partial files of a killed sync are all in one temporary folder, whatever their key.
        if not self._tmp.is_dir():
            return 0
        count = len(list(self._tmp.iterdir()))
        shutil.rmtree(self._tmp, ignore_errors=True)
        return count
