"""Publish one dataset version: files first, metadata.json last.

A version is published only if every file was read, parsed and stored. Until metadata.json
is written, readers that trust it see the previous version or nothing.
"""

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from gnosis_assets.lib.hashing import content_hash
from gnosis_assets.lib.keys import (
    InvalidPathError,
    find_normalization_collisions,
    validate_relative_path,
)
from gnosis_assets.lib.tables import ParseError
from gnosis_assets.stores.base import StoreError
from gnosis_assets.sync.cache import inode_change_ns
from gnosis_assets.sync.context import SyncContext, iso_utc, utc_now
from gnosis_assets.sync.files import (
    FileOutcome,
    SourceChangedError,
    build_record,
    object_matches,
    read_and_profile,
    upload_file,
)
from gnosis_assets.sync.metadata import (
    FORMAT_VERSION,
    RESERVED_NAMES,
    publish_metadata,
    read_metadata,
    version_prefix,
)
from gnosis_assets.volumes.base import FileEntry, FileEntryType, VolumeError

STAGING_PREFIX = "_staging"  # changed files of published versions wait here, per run


class DatasetSyncError(RuntimeError):
    """A dataset version that was not published; the message names the file and the reason."""


class ImmutableVersionError(DatasetSyncError):
    """A published version whose content changed while versions are configured immutable."""


@dataclass
class DatasetSyncResult:
    source: str
    version: str
    status: str  # "published", "unchanged" or "failed"
    metadata: dict[str, Any] | None = None
    files: list[dict[str, Any]] = field(default_factory=list)  # per file: key, action, sizes
    error: str | None = None
    uploaded_bytes: int = 0
    read_bytes: int = 0
    trusted_files: int = 0
    retries: int = 0

    def summary(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "version": self.version,
            "status": "failed" if self.status == "failed" else "ok",
            "outcome": self.status,
            "error": self.error,
            "content_hash": (self.metadata or {}).get("content_hash"),
            "file_count": len(self.files),
            "uploaded_bytes": self.uploaded_bytes,
            "read_bytes": self.read_bytes,
            "trusted_files": self.trusted_files,
            "retries": self.retries,
            "files": self.files,
        }


def list_version_files(context: SyncContext, source: str, version: str) -> list[FileEntry]:
    """List a version's files on the volume and reject anything that cannot be published."""
    volume = context.datasets_volume
    where = f"dataset {source}/{version} on {volume.describe()}"
    prefix = f"{source}/{version}"
    entries = list(volume.iterdir(prefix, recursive=True))
    files = []
    for entry in sorted(entries, key=lambda item: item.path):
        relative = entry.path[len(prefix) + 1 :]
        if entry.type == FileEntryType.DIRECTORY:
            continue
        if entry.type != FileEntryType.FILE:
            raise DatasetSyncError(
                f"{where}: {relative!r} is a {entry.type.name.lower()}, not a regular file. "
                "Symlinks and special files are not synced; copy the real file into the folder."
            )
        validate_relative_path(relative, where=where)
        if relative.split("/")[0] in RESERVED_NAMES:
            raise DatasetSyncError(
                f"{where}: {relative!r} uses a name the sync writes itself "
                f"({', '.join(RESERVED_NAMES)}); rename it on the volume"
            )
        files.append(entry)
    if not files:
        raise DatasetSyncError(f"{where}: the folder has no files; add files or remove it")
    collisions = find_normalization_collisions([entry.path for entry in files])
    if collisions:
        first, second = collisions[0]
        raise DatasetSyncError(
            f"{where}: {first!r} and {second!r} differ only in Unicode normalization "
            "(NFC/NFD) and would look like one file; keep one of them"
        )
    return files


def _sync_file(
    context: SyncContext,
    source: str,
    version: str,
    entry: FileEntry,
    previous: dict[str, dict[str, Any]],
    stored_sizes: dict[str, int],
) -> FileOutcome:
    volume = context.datasets_volume
    name = entry.path[len(f"{source}/{version}") + 1 :]
    key = f"{version_prefix(source, version)}/{name}"
    known = previous.get(key)
    # Read before the file is, so that an edit during the read leaves a stamp that no longer
    # matches.
    ctime_ns = inode_change_ns(volume, entry)

    if known is not None and context.cache is not None:
        cached = context.cache.lookup(
            volume.name, entry.path, entry.size, entry.version_stamp, ctime_ns
        )
        # One listing of the version prefix replaces a HEAD per file: the object must
        # still exist with the recorded size; `gnosis verify` re-checks its bytes.
        if cached == known["sha256"] and stored_sizes.get(key) == known["size"]:
            context.progress.advance(key, known["size"], "trusted")
            return FileOutcome(record=known, action="trusted")

    if known is not None:
        # NOTE: a file that changed in a published version is read twice, once here to learn
        # that it changed and once to upload it, so the common unchanged case uploads nothing.
        sha256, size, profile = read_and_profile(volume, entry, name)
        if sha256 == known["sha256"] and object_matches(context.store.head(key), sha256, size):
            _remember(context, entry, sha256, ctime_ns)
            context.progress.advance(key, size, "unchanged")
            return FileOutcome(record=known, action="unchanged", read_bytes=size)
        if context.settings.immutable_versions and sha256 != known["sha256"]:
            raise ImmutableVersionError(
                f"dataset {source}/{version}: {name} changed (SHA256 {known['sha256']} -> "
                f"{sha256}) but published versions are immutable (GNOSIS_IMMUTABLE_VERSIONS). "
                "Publish the change as a new version folder."
            )
        expected: str | None = sha256
        read_before = size
        # The published object stays in place until every file of the version is ready.
        target = f"{STAGING_PREFIX}/{context.run_id}/{key}"
    else:
        expected = None
        read_before = 0
        target = key

    provenance = {"source-volume": volume.name, "source-path": entry.path}
    sha256, size, profile, _parts, retries = upload_file(
        volume, entry, name, context.store, target, provenance, expected_sha256=expected
    )
    _remember(context, entry, sha256, ctime_ns)
    context.progress.advance(key, size, "uploaded")
    record = build_record(key, name, entry, volume, sha256, size, profile.to_dict(), context.store)
    return FileOutcome(
        record=record,
        action="uploaded",
        uploaded_bytes=size,
        read_bytes=size + read_before,
        retries=retries,
        staged_key=target if target != key else None,
    )


def _remember(context: SyncContext, entry: FileEntry, sha256: str, ctime_ns: int) -> None:
    if context.cache is not None:
        volume = context.datasets_volume.name
        context.cache.store(volume, entry.path, entry.size, entry.version_stamp, sha256, ctime_ns)


def sync_dataset_version(context: SyncContext, source: str, version: str) -> DatasetSyncResult:
    """Publish one dataset version and return what happened.

    Bad input (unparseable files, invalid names, unreadable volumes, store errors) gives a failed
    result instead of an exception.
    """
    result = DatasetSyncResult(source=source, version=version, status="failed")
    try:
        _publish(context, source, version, result)
    except (
        DatasetSyncError,
        InvalidPathError,
        ParseError,
        SourceChangedError,
        StoreError,
        VolumeError,
    ) as error:
        result.status = "failed"
        result.error = str(error)
        context.log.error("dataset %s/%s failed: %s", source, version, error)
    except OSError as error:
        # A volume source that lets a listing error through (local folders raise VolumeError).
        result.status = "failed"
        result.error = (
            f"dataset {source}/{version} was not published: {error}. Check that the sync user "
            f"may read {context.datasets_volume.describe()}."
        )
        context.log.error("dataset %s/%s failed: %s", source, version, error)
    return result


def _publish(context: SyncContext, source: str, version: str, result: DatasetSyncResult) -> None:
    entries = list_version_files(context, source, version)
    previous_document = read_metadata(context.store, source, version)
    previous = {item["key"]: item for item in (previous_document or {}).get("files", [])}
    context.log.info(
        "syncing dataset %s/%s: %d files from %s",
        source,
        version,
        len(entries),
        context.datasets_volume.describe(),
    )

    prefix = version_prefix(source, version)
    stored_sizes = {info.key: info.size for info in context.store.list(prefix + "/")}
    with ThreadPoolExecutor(max_workers=context.settings.workers) as pool:
        futures = [
            pool.submit(_sync_file, context, source, version, entry, previous, stored_sizes)
            for entry in entries
        ]
        outcomes = []
        errors = []
        for future in futures:
            try:
                outcomes.append(future.result())
            except (ParseError, SourceChangedError, StoreError, VolumeError) as error:
                errors.append(error)
    if errors:
        _discard(context, outcomes, new_version=previous_document is None)
        detail = "; ".join(str(error) for error in errors)
        raise DatasetSyncError(f"dataset {source}/{version} was not published: {detail}")

    records = sorted((outcome.record for outcome in outcomes), key=lambda record: record["key"])
    for outcome in outcomes:
        result.uploaded_bytes += outcome.uploaded_bytes
        result.read_bytes += outcome.read_bytes
        result.retries += outcome.retries
        result.trusted_files += outcome.action == "trusted"
        result.files.append(
            {
                "key": outcome.record["key"],
                "action": outcome.action,
                "sha256": outcome.record["sha256"],
                "size": outcome.record["size"],
            }
        )
    result.files.sort(key=lambda item: item["key"])

    digest = content_hash((record["key"], record["sha256"]) for record in records)
    unchanged = (
        previous_document is not None
        and previous_document["content_hash"] == digest
        and [item["key"] for item in previous_document["files"]] == [r["key"] for r in records]
    )
    if unchanged:
        result.status = "unchanged"
        result.metadata = previous_document
        context.log.info("dataset %s/%s unchanged (content hash %s)", source, version, digest)
        return

    document = _build_document(context, source, version, records, digest, previous_document)
    # NOTE: between these moves and the metadata.json write, a reader of a changed version gets
    # new bytes beside the old metadata.json. A verified fetch then fails with a checksum error.
    for outcome in outcomes:
        if outcome.staged_key is not None:
            context.store.move(outcome.staged_key, outcome.record["key"])
    document_sha = publish_metadata(context.store, document)
    result.status = "published"
    result.metadata = document
    context.log.info(
        "published dataset %s/%s: content hash %s, metadata.json SHA256 %s",
        source,
        version,
        digest,
        document_sha,
    )


def _discard(context: SyncContext, outcomes: list[FileOutcome], *, new_version: bool) -> None:
    """Delete what a failed attempt uploaded, so nothing of it is left beside the record."""
    for outcome in outcomes:
        if outcome.staged_key is not None:
            context.store.delete(outcome.staged_key)
        elif new_version and outcome.action == "uploaded":
            context.store.delete(outcome.record["key"])


def _build_document(
    context: SyncContext,
    source: str,
    version: str,
    records: list[dict[str, Any]],
    digest: str,
    previous: dict[str, Any] | None,
) -> dict[str, Any]:
    history = list((previous or {}).get("previous_content_hashes", []))
    if previous is not None and previous["content_hash"] != digest:
        history.append(
            {"content_hash": previous["content_hash"], "synced_at": previous.get("synced_at")}
        )
        context.log.warning(
            "dataset %s/%s content changed: %s -> %s",
            source,
            version,
            previous["content_hash"],
            digest,
        )
    return {
        "format_version": FORMAT_VERSION,
        "source": source,
        "version": version,
        "prefix": version_prefix(source, version),
        "s3_prefix": context.store.uri(version_prefix(source, version)) + "/",
        "content_hash": digest,
        "content_hash_algorithm": "sha256 over sorted 'key<TAB>sha256<LF>' lines",
        "file_count": len(records),
        "total_bytes": sum(record["size"] for record in records),
        "files": records,
        "source_volume": context.datasets_volume.name,
        "source_location": context.datasets_volume.describe(),
        "synced_at": iso_utc(utc_now()),
        "dagster_run_id": context.run_id,
        "product": context.product,
        "previous_content_hashes": history,
        "splits": {},
    }
