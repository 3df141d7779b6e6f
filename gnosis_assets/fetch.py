"""Download a published dataset version and verify every file against its metadata.json.

Files are written to a temporary folder beside the destination and hashed as they arrive.
Only when every file has the size and SHA256 that metadata.json records is the folder renamed
to the destination, so the destination either contains a complete, verified copy or is left as
it was.
"""

import hashlib
import logging
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gnosis_assets.lib.canonical import canonical_json
from gnosis_assets.lib.keys import InvalidPathError, validate_relative_path
from gnosis_assets.stores.base import ObjectStore, StoreError
from gnosis_assets.sync.metadata import (
    METADATA_NAME,
    MetadataError,
    metadata_key,
    read_metadata,
    version_prefix,
)

log = logging.getLogger(__name__)


class FetchError(RuntimeError):
    """A dataset version that could not be downloaded and verified; DEST was left unchanged."""


@dataclass(frozen=True)
class FetchedFile:
    key: str
    path: Path  # where the file is inside DEST
    size: int
    sha256: str


@dataclass(frozen=True)
class FetchResult:
    source: str
    version: str
    split: str | None
    dest: Path
    content_hash: str
    files: tuple[FetchedFile, ...]

    @property
    def total_bytes(self) -> int:
        return sum(item.size for item in self.files)

    def path(self, name: str) -> Path:
        """Return the local path of a file by its name relative to the version prefix."""
        return self.dest / name


def fetch_dataset(
    store: ObjectStore,
    source: str,
    version: str,
    dest: Path,
    split: str | None = None,
    *,
    overwrite: bool = False,
) -> FetchResult:
    """Download a dataset version (or one of its split sets) into DEST and verify it.

    DEST receives the files under their names relative to the version prefix (for example
    `EGFR_compounds.csv` or `splits/default/train.csv`) and a copy of metadata.json. With
    `split`, only that split set's files are downloaded. An existing DEST raises FetchError
    unless `overwrite` is true, in which case it is replaced once the new copy is verified.

    Raises FetchError when metadata.json or an object is missing, when a file's size or SHA256
    differs from metadata.json, or when the store fails; DEST is then left as it was.

    Example, in training code:

        from pathlib import Path
        from gnosis_assets.settings import Settings
        from gnosis_assets.stores.factory import open_store
        from gnosis_assets.fetch import fetch_dataset

        store = open_store(Settings.from_env())
        result = fetch_dataset(store, "chembl", "chembl_27", Path("data/chembl_27"),
                               split="default")
        train_csv = result.path("splits/default/train.csv")
    """
    dest = Path(dest)
    label = f"dataset {source}/{version}" + (f" split set {split!r}" if split else "")
    if dest.exists() and not overwrite:
        raise FetchError(
            f"{label}: destination {dest} already exists; remove it, choose another folder, "
            "or pass overwrite=True to replace it after the new copy is verified"
        )

    document = _read_document(store, source, version, label)
    entries = _select_files(document, source, version, split, label)

    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = dest.parent / f".{dest.name}.fetch-{uuid.uuid4().hex}"
    staging.mkdir()
    log.info("fetching %s: %d files from %s into %s", label, len(entries), store.describe(), dest)
    try:
        fetched = [_download(store, entry, staging, label) for entry in entries]
        # publish_metadata writes canonical JSON, so this reproduces the published bytes.
        (staging / METADATA_NAME).write_bytes(canonical_json(document))
        _fsync_folder(staging)
        _move_into_place(staging, dest, overwrite, label)
    except FetchError as error:
        log.error("fetch of %s into %s failed, destination left unchanged: %s", label, dest, error)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)

    files = tuple(
        FetchedFile(
            key=item.key,
            path=dest / item.path.relative_to(staging),
            size=item.size,
            sha256=item.sha256,
        )
        for item in fetched
    )
    total = sum(item.size for item in files)
    log.info("fetched %s: %d files, %d bytes verified", label, len(files), total)
    return FetchResult(
        source=source,
        version=version,
        split=split,
        dest=dest,
        content_hash=document["content_hash"],
        files=files,
    )


def _read_document(store: ObjectStore, source: str, version: str, label: str) -> dict[str, Any]:
    try:
        document = read_metadata(store, source, version)
    except (MetadataError, StoreError) as error:
        raise FetchError(f"{label}: cannot read {METADATA_NAME}: {error}") from error
    if document is None:
        raise FetchError(
            f"{label}: {store.uri(metadata_key(source, version))} does not exist, so the version "
            "is not published in this store; check the source, version and GNOSIS_STORE, or "
            "sync the version first"
        )
    return document


def _select_files(
    document: dict[str, Any], source: str, version: str, split: str | None, label: str
) -> list["_Planned"]:
    splits = document.get("splits") or {}
    if split is None:
        entries = list(document.get("files", []))
        for name in sorted(splits):
            entries.extend(splits[name].get("files", []))
    elif split in splits:
        entries = list(splits[split].get("files", []))
    else:
        available = ", ".join(sorted(splits)) or "none"
        raise FetchError(
            f"{label}: metadata.json has no split set {split!r} (available: {available}); "
            "run the split step for it or pick one of those"
        )

    # Keys come from a document in the store, so they are checked before they become paths.
    prefix = version_prefix(source, version) + "/"
    seen: set[str] = set()
    planned = []
    for entry in entries:
        key = str(entry.get("key", ""))
        relative = key[len(prefix) :]
        if not key.startswith(prefix):
            raise FetchError(
                f"{label}: metadata.json lists {key!r}, which is outside {prefix}; the document "
                "is corrupt, re-sync the version"
            )
        try:
            validate_relative_path(relative, where=label)
        except InvalidPathError as error:
            raise FetchError(f"{error}; the document is corrupt, re-sync the version") from error
        if relative == METADATA_NAME or key in seen:
            raise FetchError(
                f"{label}: metadata.json lists {key!r} more than once or under the reserved "
                f"name {METADATA_NAME}; the document is corrupt, re-sync the version"
            )
        seen.add(key)
        planned.append(_Planned(key, relative, int(entry["size"]), str(entry["sha256"])))
    return planned


@dataclass(frozen=True)
class _Planned:
    key: str
    relative: str  # the key without "datasets/<source>/<version>/"
    size: int
    sha256: str


def _download(store: ObjectStore, entry: _Planned, staging: Path, label: str) -> FetchedFile:
    key = entry.key
    path = staging / entry.relative
    digest = hashlib.sha256()
    size = 0
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            for chunk in store.get_chunks(key):
                digest.update(chunk)
                size += len(chunk)
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
    except KeyError:
        raise FetchError(
            f"{label}: {store.uri(key)} is listed in metadata.json but missing from the store; "
            "nothing was written to the destination. Re-sync the version to restore it."
        ) from None
    except StoreError as error:
        raise FetchError(f"{label}: download of {store.uri(key)} failed: {error}") from error
    except OSError as error:
        raise FetchError(
            f"{label}: writing {key} to {path} failed: {error}; free disk space or choose "
            "another destination"
        ) from error

    actual = digest.hexdigest()
    if size != entry.size or actual != entry.sha256:
        raise FetchError(
            f"{label}: {store.uri(key)} does not match metadata.json: expected SHA256 "
            f"{entry.sha256} ({entry.size} bytes), got {actual} ({size} bytes). "
            "The object changed after it was published; nothing was written to the destination. "
            "Run `gnosis verify` and re-sync the version."
        )
    return FetchedFile(key=key, path=path, size=size, sha256=actual)


def _fsync_folder(folder: Path) -> None:
    for path in sorted(folder.rglob("*"), reverse=True):
        if path.is_dir():
            _fsync_directory(path)
    _fsync_directory(folder)


def _fsync_directory(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _move_into_place(staging: Path, dest: Path, overwrite: bool, label: str) -> None:
    """Rename the verified folder to DEST, swapping out an existing DEST if `overwrite`."""
    if not dest.exists():
        try:
            staging.rename(dest)
        except OSError as error:
            raise FetchError(
                f"{label}: could not rename the verified copy to {dest}: {error}. Another "
                "process may have created it meanwhile; remove it or pass overwrite=True."
            ) from error
        _fsync_directory(dest.parent)
        return
    if not overwrite:
        raise FetchError(
            f"{label}: destination {dest} appeared while fetching; remove it or pass overwrite=True"
        )
    # A directory cannot be renamed over a non-empty one, so the old copy is first moved aside.
    # Between the two renames DEST is briefly absent, never partial.
    retired = dest.parent / f".{dest.name}.old-{uuid.uuid4().hex}"
    dest.rename(retired)
    try:
        staging.rename(dest)
    except OSError:
        retired.rename(dest)
        raise
    _fsync_directory(dest.parent)
    shutil.rmtree(retired, ignore_errors=True)
