"""Inputs the sync engine must publish or reject with a clear message, run without Dagster.

`gnosis_assets_tests/sync/test_bad_input.py` covers CSV parse errors, an empty CSV, an empty
version folder, symlinks, NFC/NFD twins and a BOM with spaces through the whole sync. This file
adds the cases that need a stand-in volume or a hash cache: zero-byte files, empty subfolders,
unsafe paths from a Modal-style source, unreadable and vanishing files, a same-size edit with
the mtime restored, and a file above 5 GiB.
"""

import hashlib
import math
import os
import resource
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from gnosis_assets.stores.local import LocalStore
from gnosis_assets.stores.s3 import PART_SIZE, S3Store
from gnosis_assets.sync.cache import HashCache
from gnosis_assets.sync.context import SyncContext
from gnosis_assets.sync.datasets import DatasetSyncResult, sync_dataset_version
from gnosis_assets.sync.files import upload_file
from gnosis_assets.volumes.base import FileEntry, FileEntryType, VolumeSource
from gnosis_assets.volumes.local import LocalVolume
from gnosis_assets.volumes.modal_volume import ModalVolume
from gnosis_assets_tests.helpers import engine_context

SOURCE = "ds"
VERSION = "v1"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
# SHA256 of 5 GiB + 1 zero bytes, computed once with hashlib so the test reads the file once.
HUGE_ZEROS_SHA256 = "edcddf01fc829bf06be2b5393a9793cdd43598a0fd483c57f41a9b58183f6e33"


@pytest.fixture
def volume_root(tmp_path: Path) -> Path:
    root = tmp_path / "veridica-datasets"
    (root / SOURCE / VERSION).mkdir(parents=True)
    (root / SOURCE / VERSION / "data.csv").write_text("id,value\n1,2\n", encoding="utf-8")
    return root


def make_context(
    tmp_path: Path, volume: VolumeSource, *, cache: HashCache | None = None
) -> SyncContext:
    return engine_context(tmp_path, volume, cache=cache, run_id="fault-run")


def sync_local(tmp_path: Path, root: Path, cache: HashCache | None = None) -> DatasetSyncResult:
    context = make_context(tmp_path, LocalVolume(root, "veridica-datasets"), cache=cache)
    return sync_dataset_version(context, SOURCE, VERSION)


def stored_keys(tmp_path: Path) -> list[str]:
    return [info.key for info in LocalStore(tmp_path / "store").list("")]


def test_zero_byte_bin_and_txt_publish(tmp_path: Path, volume_root: Path) -> None:
    (volume_root / SOURCE / VERSION / "empty.bin").write_bytes(b"")
    (volume_root / SOURCE / VERSION / "empty.txt").write_bytes(b"")

    result = sync_local(tmp_path, volume_root)

    assert result.status == "published", result.error
    assert result.metadata is not None
    records = {record["name"]: record for record in result.metadata["files"]}
    for name in ("empty.bin", "empty.txt"):
        assert records[name]["size"] == 0
        assert records[name]["sha256"] == EMPTY_SHA256


def test_empty_subfolder_is_skipped(tmp_path: Path, volume_root: Path) -> None:
    (volume_root / SOURCE / VERSION / "nothing" / "deeper").mkdir(parents=True)

    result = sync_local(tmp_path, volume_root)

    assert result.status == "published", result.error
    assert stored_keys(tmp_path) == [
        "datasets/ds/v1/data.csv",
        "datasets/ds/v1/metadata.json",
    ]


class ListingVolume:
    """A `modal.Volume` stand-in whose listing returns the given paths, as a broken client may."""

    def __init__(self, paths: list[str]) -> None:
        self.paths = paths

    def iterdir(self, path: str, *, recursive: bool = True) -> Iterator[SimpleNamespace]:
        for name in self.paths:
            yield SimpleNamespace(path=name, type=int(FileEntryType.FILE), mtime=1, size=4)

    def read_file(self, path: str) -> Iterator[bytes]:
        yield b"a\n1\n"


@pytest.mark.parametrize(
    ("listed", "problem"),
    [
        ("ds/v1/../../escape.csv", "'..' segment"),
        ("ds/v1/./here.csv", "'.' or '..' segment"),
        ("ds/v1//rooted.csv", "starts with '/'"),
        ("ds/v1/back\\slash.csv", "backslash"),
    ],
)
def test_modal_unsafe_path_rejected(tmp_path: Path, listed: str, problem: str) -> None:
    stand_in = ListingVolume(["ds/v1/ok.csv", listed])
    volume = ModalVolume("veridica-datasets", loader=lambda name, environment: stand_in)

    result = sync_dataset_version(make_context(tmp_path, volume), SOURCE, VERSION)

    assert result.status == "failed"
    assert result.error is not None
    assert "invalid file path" in result.error
    assert problem in result.error
    assert stored_keys(tmp_path) == []


def test_modal_leading_slash_and_spaces_publish(tmp_path: Path) -> None:
    # Modal lists paths from the volume root with a leading '/'; the source strips it.
    stand_in = ListingVolume(["/ds/v1/with space.csv"])
    volume = ModalVolume("veridica-datasets", loader=lambda name, environment: stand_in)

    result = sync_dataset_version(make_context(tmp_path, volume), SOURCE, VERSION)

    assert result.status == "published", result.error
    assert "datasets/ds/v1/with space.csv" in stored_keys(tmp_path)


class FaultyVolume:
    """A local volume whose listing or reads of chosen paths raise the given error."""

    def __init__(
        self,
        inner: LocalVolume,
        *,
        read_errors: dict[str, OSError] | None = None,
        listing_error: OSError | None = None,
    ) -> None:
        self.inner = inner
        self.name = inner.name
        self.read_errors = read_errors or {}
        self.listing_error = listing_error

    def describe(self) -> str:
        return self.inner.describe()

    def iterdir(self, path: str, *, recursive: bool = True) -> Iterator[FileEntry]:
        if self.listing_error is not None:
            raise self.listing_error
        return self.inner.iterdir(path, recursive=recursive)

    def stat(self, path: str) -> FileEntry:
        return self.inner.stat(path)

    def read_chunks(self, path: str) -> Iterator[bytes]:
        for suffix, error in self.read_errors.items():
            if path.endswith(suffix):
                raise error
        yield from self.inner.read_chunks(path)


def test_unreadable_volume_fails_version(tmp_path: Path, volume_root: Path) -> None:
    denied = PermissionError(13, "Permission denied", str(volume_root / SOURCE))
    volume = FaultyVolume(LocalVolume(volume_root, "veridica-datasets"), listing_error=denied)

    result = sync_dataset_version(make_context(tmp_path, volume), SOURCE, VERSION)

    assert result.status == "failed"
    assert result.error is not None
    assert "ds/v1 was not published" in result.error
    assert "Permission denied" in result.error
    assert "may read folder" in result.error


@pytest.mark.parametrize(
    "error",
    [
        PermissionError(13, "Permission denied"),
        FileNotFoundError(2, "No such file or directory"),
    ],
    ids=["permission", "vanished"],
)
def test_unreadable_file_discards_new_version(
    tmp_path: Path, volume_root: Path, error: OSError
) -> None:
    folder = volume_root / SOURCE / VERSION
    for index in range(6):
        (folder / f"part{index}.txt").write_text(f"line {index}\n", encoding="utf-8")
    volume = FaultyVolume(
        LocalVolume(volume_root, "veridica-datasets"), read_errors={"part3.txt": error}
    )

    result = sync_dataset_version(make_context(tmp_path, volume), SOURCE, VERSION)

    assert result.status == "failed"
    assert result.error is not None
    assert "part3.txt could not be read" in result.error
    # The files that did upload are deleted again, so nothing of the version is left.
    assert stored_keys(tmp_path) == []


def test_same_size_edit_with_restored_mtime(tmp_path: Path, volume_root: Path) -> None:
    note = volume_root / SOURCE / VERSION / "note.txt"
    note.write_text("hello world", encoding="utf-8")
    cache = HashCache(tmp_path / "home" / "hash_cache.sqlite")
    first = sync_local(tmp_path, volume_root, cache)
    assert first.status == "published", first.error

    unchanged = sync_local(tmp_path, volume_root, cache)
    assert unchanged.status == "unchanged"
    assert unchanged.trusted_files == 2

    before = note.stat()
    note.write_text("hello earth", encoding="utf-8")
    os.utime(note, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert note.stat().st_mtime_ns == before.st_mtime_ns
    assert note.stat().st_size == before.st_size

    edited = sync_local(tmp_path, volume_root, cache)
    cache.close()

    assert edited.status == "published", edited.error
    assert edited.trusted_files == 1  # data.csv only: the edit changed note.txt's ctime
    assert edited.metadata is not None
    records = {record["name"]: record for record in edited.metadata["files"]}
    assert records["note.txt"]["sha256"] == hashlib.sha256(b"hello earth").hexdigest()
    store = LocalStore(tmp_path / "store")
    assert b"".join(store.get_chunks("datasets/ds/v1/note.txt")) == b"hello earth"


class DiscardingS3Client:
    """An S3 client stand-in that accepts multipart uploads and keeps only part sizes."""

    def __init__(self) -> None:
        self.part_sizes: list[int] = []
        self.completed = False
        self.copies = 0

    def create_multipart_upload(self, **kwargs: Any) -> dict[str, Any]:
        return {"UploadId": "upload-1"}

    def upload_part(self, **kwargs: Any) -> dict[str, Any]:
        self.part_sizes.append(len(kwargs["Body"]))
        return {"ETag": f'"{kwargs["PartNumber"]}"'}

    def complete_multipart_upload(self, **kwargs: Any) -> dict[str, Any]:
        self.completed = len(kwargs["MultipartUpload"]["Parts"]) == len(self.part_sizes)
        return {}

    def copy(self, *args: Any, **kwargs: Any) -> None:
        self.copies += 1

    def abort_multipart_upload(self, **kwargs: Any) -> None:
        raise AssertionError("the upload was aborted")


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB


@pytest.mark.slow
def test_file_over_5_gib_streams_in_parts(tmp_path: Path, volume_root: Path) -> None:
    size = 5 * 1024**3 + 1
    huge = volume_root / SOURCE / VERSION / "huge.bin"
    with huge.open("wb") as handle:
        handle.truncate(size)  # sparse: takes no disk space
    volume = LocalVolume(volume_root, "veridica-datasets")
    entry = volume.stat(f"{SOURCE}/{VERSION}/huge.bin")
    client = DiscardingS3Client()
    store = S3Store(client, "bucket", "team")
    rss_before = peak_rss_bytes()

    sha256, stored_size, _profile, parts, _retries = upload_file(
        volume, entry, "huge.bin", store, "datasets/ds/v1/huge.bin", {}
    )

    assert stored_size == size
    assert parts == math.ceil(size / PART_SIZE)
    assert client.part_sizes[:-1] == [PART_SIZE] * (parts - 1)
    assert client.part_sizes[-1] == size - PART_SIZE * (parts - 1)
    assert client.completed
    assert client.copies == 1  # the self-copy that attaches the SHA256
    # One part in the buffer plus a few chunks in flight, never the file.
    assert peak_rss_bytes() - rss_before < 8 * PART_SIZE
    assert sha256 == HUGE_ZEROS_SHA256
