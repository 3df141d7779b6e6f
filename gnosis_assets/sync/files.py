"""Publish one file: read it once, hash, profile and upload it in the same pass."""

import contextlib
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from gnosis_assets.lib.streams import BackgroundReader
from gnosis_assets.lib.tables import FileProfile, ParseError, content_type_for, profile_stream
from gnosis_assets.stores.base import ObjectInfo, ObjectStore
from gnosis_assets.volumes.base import FileEntry, VolumeError, VolumeSource


class SourceChangedError(RuntimeError):
    """A source file whose size or modification time changed while it was read."""


@dataclass
class FileOutcome:
    """The record of one file after the sync looked at it."""

    record: dict[str, Any]
    action: str  # "uploaded", "unchanged" or "trusted" (skipped on the hash cache's word)
    uploaded_bytes: int = 0
    read_bytes: int = 0
    retries: int = 0
    # Where the new bytes of a changed file wait until the whole version can be promoted.
    staged_key: str | None = None


def mtime_iso(entry: FileEntry) -> str:
    moment = datetime.fromtimestamp(entry.version_stamp / 1e9, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def build_record(
    key: str,
    name: str,
    entry: FileEntry,
    volume: VolumeSource,
    sha256: str,
    size: int,
    profile: dict[str, Any],
    store: ObjectStore,
) -> dict[str, Any]:
    return {
        "key": key,
        "name": name,
        "size": size,
        "sha256": sha256,
        "content_type": profile.get("content_type") or content_type_for(name),
        "rows": profile.get("rows"),
        "columns": profile.get("header"),
        "profile": profile,
        "s3_uri": store.uri(key),
        "source_volume": volume.name,
        "source_path": entry.path,
        "source_mtime": mtime_iso(entry),
    }


class _Tap:
    """Pass chunks through while counting them, feeding the profiler and, if asked, hashing.

    On the upload path the store hashes what it uploads, so hashing here too would cost a
    second pass over every byte.
    """

    def __init__(
        self,
        chunks: Iterator[bytes],
        profiler: BackgroundReader[FileProfile],
        where: str,
        *,
        hashing: bool = True,
    ) -> None:
        self._chunks = chunks
        self.where = where  # volume and path, for error messages
        self._profiler = profiler
        self.digest = hashlib.sha256() if hashing else None
        self.size = 0

    def __iter__(self) -> Iterator[bytes]:
        try:
            for chunk in self._chunks:
                if not chunk:
                    continue
                if self.digest is not None:
                    self.digest.update(chunk)
                self.size += len(chunk)
                self._profiler.feed(chunk)
                yield chunk
        except OSError as error:
            # As a VolumeError the version's other uploads are discarded, not left behind.
            raise VolumeError(
                f"{self.where} could not be read: {error.strerror or error}. Check that the file "
                "still exists and that the sync user may read it; the next sync retries it."
            ) from error


def _check_unchanged(volume: VolumeSource, before: FileEntry, read_size: int) -> None:
    try:
        after = volume.stat(before.path)
    except FileNotFoundError:
        raise SourceChangedError(
            f"{volume.name}:{before.path} was removed while it was read. It was not published; "
            "the next sync no longer lists it."
        ) from None
    if (
        read_size != before.size
        or after.size != before.size
        or after.version_stamp != before.version_stamp
    ):
        raise SourceChangedError(
            f"{volume.name}:{before.path} changed while it was read "
            f"(size {before.size} -> {after.size}, read {read_size} bytes, "
            f"mtime {before.version_stamp} -> {after.version_stamp} ns). It was not published; "
            "the next sync picks it up once the file is no longer being written."
        )


def read_and_profile(
    volume: VolumeSource, entry: FileEntry, name: str
) -> tuple[str, int, FileProfile]:
    """Hash and profile a file without uploading it."""
    profiler: BackgroundReader[FileProfile] = BackgroundReader(
        lambda stream: profile_stream(name, stream)
    )
    tap = _Tap(volume.read_chunks(entry.path), profiler, f"{volume.name}:{entry.path}")
    try:
        for _ in tap:
            pass
    finally:
        profile = profiler.finish()
    _check_unchanged(volume, entry, tap.size)
    assert tap.digest is not None
    return tap.digest.hexdigest(), tap.size, profile


def upload_file(
    volume: VolumeSource,
    entry: FileEntry,
    name: str,
    store: ObjectStore,
    key: str,
    metadata: dict[str, str],
    expected_sha256: str | None = None,
) -> tuple[str, int, FileProfile, int, int]:
    """Stream a file to the store and return SHA256, size, profile, parts and retries.

    The profile is checked before the upload completes an object: a file that does not parse
    raises ParseError with no object written, except for multipart uploads, which are aborted.
    """
    profiler: BackgroundReader[FileProfile] = BackgroundReader(
        lambda stream: profile_stream(name, stream)
    )
    tap = _Tap(
        volume.read_chunks(entry.path), profiler, f"{volume.name}:{entry.path}", hashing=False
    )

    def checked_chunks() -> Iterator[bytes]:
        yield from tap
        # Runs after the last chunk and before the store completes the object.
        profile_holder.append(profiler.finish())
        _check_unchanged(volume, entry, tap.size)

    profile_holder: list[FileProfile] = []
    content_type = content_type_for(name)
    try:
        result = store.put_chunks(
            key,
            checked_chunks(),
            content_type=content_type,
            metadata=metadata,
            expected_sha256=expected_sha256,
        )
    finally:
        if not profile_holder:
            # The upload failed before the stream ended: stop the profiler thread. The upload's
            # own error is the one that matters, so the profiler's is dropped.
            with contextlib.suppress(Exception):
                profiler.finish()
    return result.sha256, result.size, profile_holder[0], result.parts, result.retries


def object_matches(info: ObjectInfo | None, sha256: str, size: int) -> bool:
    """Return whether a stored object has the given size and carries the given SHA256."""
    return info is not None and info.size == size and info.sha256 == sha256


__all__ = [
    "FileOutcome",
    "ParseError",
    "SourceChangedError",
    "build_record",
    "object_matches",
    "read_and_profile",
    "upload_file",
]
