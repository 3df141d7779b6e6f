"""Conformance tests that every object store passes: the local folder and S3 over HTTP.

S3 runs against moto's server mode; moto accepts wrong checksums, so every integrity
assertion here is about hashes the store code computes itself.
"""

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from gnosis_assets.stores.base import (
    ChecksumMismatchError,
    ObjectStore,
    hash_object,
    read_verified,
)
from gnosis_assets.stores.local import INTERNAL_FOLDER, LocalStore
from gnosis_assets.stores.s3 import S3Store
from gnosis_assets.stores.transfer import download_verified

PART = 5 * 1024 * 1024  # S3's minimum part size


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    if request.param == "local":
        return LocalStore(tmp_path / "bucket")
    bucket = request.getfixturevalue("s3_bucket")
    return S3Store(boto3.client("s3"), bucket, "prefix/inner", part_size=PART)


def chunks_of(data: bytes, size: int = 1024 * 1024) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def test_put_records_sha256_and_size(store: ObjectStore) -> None:
    data = b"hello world\n"
    result = store.put_chunks("a/b.txt", chunks_of(data), content_type="text/plain", metadata={})
    info = store.head("a/b.txt")
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert result.size == len(data)
    assert info is not None
    assert info.sha256 == result.sha256
    assert info.size == len(data)
    assert b"".join(store.get_chunks("a/b.txt")) == data


def test_metadata_is_kept(store: ObjectStore) -> None:
    store.put_bytes("x.json", b"{}", content_type="application/json", metadata={"origin": "v"})
    info = store.head("x.json")
    assert info is not None
    assert info.metadata.get("origin") == "v"


def test_expected_sha256_mismatch_writes_nothing(store: ObjectStore) -> None:
    with pytest.raises(ChecksumMismatchError, match="expected"):
        store.put_chunks(
            "bad.bin",
            [b"abc"],
            content_type="application/octet-stream",
            metadata={},
            expected_sha256="0" * 64,
        )
    assert store.head("bad.bin") is None


def test_multipart_upload_hashes_whole_object(store: ObjectStore) -> None:
    data = os.urandom(PART * 2 + 12345)
    result = store.put_chunks("big.bin", chunks_of(data), content_type="x/y", metadata={})
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert hash_object(store, "big.bin") == (result.sha256, len(data))
    info = store.head("big.bin")
    assert info is not None
    assert info.sha256 == result.sha256
    if isinstance(store, S3Store):
        assert result.parts == 3


def test_failed_stream_leaves_no_object_or_upload(store: ObjectStore) -> None:
    def broken() -> Iterator[bytes]:
        yield os.urandom(PART + 1)
        yield os.urandom(1024)
        raise OSError("volume went away")

    with pytest.raises(OSError, match="volume went away"):
        store.put_chunks("broken.bin", broken(), content_type="x/y", metadata={})
    assert store.head("broken.bin") is None
    assert store.abort_incomplete_uploads("") == 0


def test_list_is_sorted_and_prefixed(store: ObjectStore) -> None:
    for key in ("d/2.txt", "d/1.txt", "e/1.txt", "d/sub/3.txt"):
        store.put_bytes(key, key.encode(), content_type="text/plain")
    assert [info.key for info in store.list("d/")] == ["d/1.txt", "d/2.txt", "d/sub/3.txt"]
    assert [info.key for info in store.list("")][-1] == "e/1.txt"


def test_missing_object_behaviour(store: ObjectStore) -> None:
    assert store.head("nope") is None
    with pytest.raises(KeyError):
        b"".join(store.get_chunks("nope"))
    store.delete("nope")


def test_delete_removes_object(store: ObjectStore) -> None:
    store.put_bytes("gone.txt", b"x", content_type="text/plain")
    store.delete("gone.txt")
    assert store.head("gone.txt") is None
    assert list(store.list("gone")) == []


def test_read_verified_rejects_other_bytes(store: ObjectStore) -> None:
    store.put_bytes("r.txt", b"hello earth", content_type="text/plain")
    with pytest.raises(ChecksumMismatchError, match="does not match"):
        read_verified(store, "r.txt", hashlib.sha256(b"hello world").hexdigest())


def test_download_verified_leaves_nothing_on_mismatch(store: ObjectStore, tmp_path: Path) -> None:
    store.put_bytes("f.txt", b"hello earth", content_type="text/plain")
    target = tmp_path / "out" / "f.txt"
    with pytest.raises(ChecksumMismatchError):
        download_verified(store, "f.txt", hashlib.sha256(b"hello world").hexdigest(), 11, target)
    assert not target.exists()
    assert list(target.parent.iterdir()) == []


def test_uri_names_the_location(store: ObjectStore) -> None:
    uri = store.uri("datasets/x/y.csv")
    assert uri.endswith("datasets/x/y.csv")
    if isinstance(store, S3Store):
        assert uri.startswith(f"s3://{store.bucket}/prefix/inner/")


def test_s3_abort_cleans_orphaned_multipart(s3_bucket: str) -> None:
    client = boto3.client("s3")
    store = S3Store(client, s3_bucket, "p")
    client.create_multipart_upload(Bucket=s3_bucket, Key="p/datasets/orphan.bin")
    client.create_multipart_upload(Bucket=s3_bucket, Key="other/orphan.bin")
    assert store.abort_incomplete_uploads("datasets/") == 1
    remaining = client.list_multipart_uploads(Bucket=s3_bucket).get("Uploads", [])
    assert [upload["Key"] for upload in remaining] == ["other/orphan.bin"]


def test_s3_single_put_sends_sha256_checksum(s3_bucket: str) -> None:
    client = boto3.client("s3")
    store = S3Store(client, s3_bucket)
    store.put_bytes("c.txt", b"checksum me", content_type="text/plain")
    checksum, parts = store.remote_checksum("c.txt")
    assert checksum is not None
    assert parts is None


def test_local_store_hides_internal_folder(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "bucket")
    store.put_bytes("k.txt", b"1", content_type="text/plain")
    assert (tmp_path / "bucket" / INTERNAL_FOLDER).is_dir()
    assert [info.key for info in store.list("")] == ["k.txt"]


def test_local_store_rejects_escaping_keys(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "bucket")
    for key in ("../x", "/abs", f"{INTERNAL_FOLDER}/meta/x"):
        with pytest.raises(Exception, match="invalid key"):
            store.put_bytes(key, b"1", content_type="text/plain")
