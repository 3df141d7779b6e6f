"""Verified download of dataset versions, from a LocalStore and from S3 served by moto.

Each store gets objects and a metadata.json written through the ObjectStore interface. The
tests check that fetch reproduces the bytes, and that a tampered, truncated or missing object
raises FetchError and leaves the destination absent or unchanged. Real AWS is not touched:
the S3 store talks to moto's server on 127.0.0.1 with dummy credentials.
"""

import hashlib
from pathlib import Path
from typing import Any

import boto3
import pytest

from gnosis_assets.fetch import FetchError, fetch_dataset
from gnosis_assets.lib.canonical import canonical_json
from gnosis_assets.stores.base import ObjectStore
from gnosis_assets.stores.local import LocalStore
from gnosis_assets.stores.s3 import S3Store
from gnosis_assets.sync.metadata import publish_metadata
from gnosis_assets_tests.builders import CHEMBL_FILES, SPLIT_CONTENT, dataset_metadata

BUCKET = "gnosis-fetch-tests"
SOURCE = "chembl"
VERSION = "chembl_27"
FILES = {**CHEMBL_FILES, "targets/EGFR.txt": b"P00533\n"}


@pytest.fixture(params=["local", "s3"])
def store(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> ObjectStore:
    if request.param == "local":
        return LocalStore(tmp_path / "bucket")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    endpoint = request.getfixturevalue("s3_endpoint")
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    bucket = f"{BUCKET}-{tmp_path.name.lower().replace('_', '-')}"[:63]
    client.create_bucket(Bucket=bucket)
    return S3Store(client, bucket, prefix="gnosis")


def publish(store: ObjectStore, files: dict[str, bytes] = FILES) -> dict[str, Any]:
    """Upload a version's files and split files, then its metadata.json, as the sync does."""
    metadata = dataset_metadata(
        SOURCE, VERSION, files, {"default": SPLIT_CONTENT}, store_uri=store.describe()
    )
    contents = {f"datasets/{SOURCE}/{VERSION}/{name}": data for name, data in files.items()}
    for split, data in SPLIT_CONTENT.items():
        contents[f"datasets/{SOURCE}/{VERSION}/splits/default/{split}.csv"] = data
    for key, data in contents.items():
        store.put_bytes(key, data, content_type="text/csv")
    publish_metadata(store, metadata)
    return metadata


def overwrite_object(store: ObjectStore, key: str, data: bytes) -> None:
    """Replace an object's bytes without updating metadata.json, as tampering would."""
    store.put_bytes(key, data, content_type="text/csv")


def tree_of(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_fetch_reproduces_all_files(store: ObjectStore, tmp_path: Path) -> None:
    metadata = publish(store)
    dest = tmp_path / "out" / "chembl_27"

    result = fetch_dataset(store, SOURCE, VERSION, dest)

    expected = {name: data for name, data in FILES.items()}
    expected.update({f"splits/default/{split}.csv": data for split, data in SPLIT_CONTENT.items()})
    fetched = tree_of(dest)
    assert fetched.pop("metadata.json") == canonical_json(metadata)
    assert fetched == expected
    assert result.content_hash == metadata["content_hash"]
    assert len(result.files) == len(expected)
    for item in result.files:
        assert hashlib.sha256(item.path.read_bytes()).hexdigest() == item.sha256
        assert item.path.stat().st_size == item.size
    assert result.total_bytes == sum(len(data) for data in expected.values())
    assert result.path("targets/EGFR.txt").read_bytes() == b"P00533\n"


def test_fetch_one_split_set(store: ObjectStore, tmp_path: Path) -> None:
    publish(store)
    dest = tmp_path / "train"

    result = fetch_dataset(store, SOURCE, VERSION, dest, split="default")

    assert set(tree_of(dest)) == {
        "metadata.json",
        "splits/default/train.csv",
        "splits/default/validation.csv",
        "splits/default/test.csv",
    }
    assert result.split == "default"
    assert result.path("splits/default/test.csv").read_bytes() == SPLIT_CONTENT["test"]


def test_fetch_leaves_no_staging_folder(store: ObjectStore, tmp_path: Path) -> None:
    publish(store)
    parent = tmp_path / "out"

    fetch_dataset(store, SOURCE, VERSION, parent / "chembl_27")

    assert [path.name for path in parent.iterdir()] == ["chembl_27"]


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda data: bytes([data[0] ^ 0x01]) + data[1:], id="flipped-byte"),
        pytest.param(lambda data: data[:-1], id="truncated"),
        pytest.param(lambda data: data + b"x", id="appended"),
    ],
)
def test_fetch_rejects_changed_object(store: ObjectStore, tmp_path: Path, tamper: Any) -> None:
    metadata = publish(store)
    record = next(item for item in metadata["files"] if item["name"] == "EGFR_compounds.csv")
    changed = tamper(FILES["EGFR_compounds.csv"])
    overwrite_object(store, record["key"], changed)
    dest = tmp_path / "out" / "chembl_27"

    with pytest.raises(FetchError) as raised:
        fetch_dataset(store, SOURCE, VERSION, dest)

    message = str(raised.value)
    assert record["key"] in message
    assert record["sha256"] in message
    assert hashlib.sha256(changed).hexdigest() in message
    assert "re-sync" in message
    assert not dest.exists()
    assert list((tmp_path / "out").iterdir()) == []


def test_fetch_rejects_missing_object(store: ObjectStore, tmp_path: Path) -> None:
    publish(store)
    key = f"datasets/{SOURCE}/{VERSION}/splits/default/validation.csv"
    store.delete(key)
    dest = tmp_path / "chembl_27"

    with pytest.raises(FetchError, match="missing from the store") as raised:
        fetch_dataset(store, SOURCE, VERSION, dest)

    assert key in str(raised.value)
    assert not dest.exists()
    assert [path.name for path in tmp_path.iterdir() if path.name != "bucket"] == []


def test_failed_overwrite_keeps_old_copy(store: ObjectStore, tmp_path: Path) -> None:
    metadata = publish(store)
    dest = tmp_path / "chembl_27"
    fetch_dataset(store, SOURCE, VERSION, dest)
    before = tree_of(dest)
    record = metadata["files"][0]
    overwrite_object(store, record["key"], b"tampered")

    with pytest.raises(FetchError, match=r"does not match metadata\.json"):
        fetch_dataset(store, SOURCE, VERSION, dest, overwrite=True)

    assert tree_of(dest) == before


def test_overwrite_replaces_existing_copy(store: ObjectStore, tmp_path: Path) -> None:
    publish(store)
    dest = tmp_path / "chembl_27"
    dest.mkdir()
    (dest / "stale.csv").write_bytes(b"old")

    fetch_dataset(store, SOURCE, VERSION, dest, split="default", overwrite=True)

    names = set(tree_of(dest))
    assert "stale.csv" not in names
    assert "splits/default/train.csv" in names
    assert sorted(path.name for path in tmp_path.iterdir() if path.name != "bucket") == [
        "chembl_27"
    ]


def test_existing_destination_raises(store: ObjectStore, tmp_path: Path) -> None:
    publish(store)
    dest = tmp_path / "chembl_27"
    dest.mkdir()
    (dest / "keep.txt").write_bytes(b"mine")

    with pytest.raises(FetchError, match="already exists"):
        fetch_dataset(store, SOURCE, VERSION, dest)

    assert tree_of(dest) == {"keep.txt": b"mine"}


def test_unpublished_version_raises(store: ObjectStore, tmp_path: Path) -> None:
    with pytest.raises(FetchError, match=r"chembl/chembl_99.*not published"):
        fetch_dataset(store, SOURCE, "chembl_99", tmp_path / "out")

    assert not (tmp_path / "out").exists()


def test_unknown_split_set_raises(store: ObjectStore, tmp_path: Path) -> None:
    publish(store)

    with pytest.raises(FetchError, match=r"no split set 'random' \(available: default\)"):
        fetch_dataset(store, SOURCE, VERSION, tmp_path / "out", split="random")

    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "bad_key",
    [
        "datasets/chembl/chembl_27/../../../etc/passwd",
        "datasets/chembl/other/EGFR_compounds.csv",
        "/datasets/chembl/chembl_27/a.csv",
        "datasets/chembl/chembl_27/metadata.json",
    ],
)
def test_corrupt_key_in_metadata_raises(store: ObjectStore, tmp_path: Path, bad_key: str) -> None:
    metadata = publish(store)
    metadata["files"][0]["key"] = bad_key
    publish_metadata(store, metadata)
    dest = tmp_path / "out"

    with pytest.raises(FetchError, match="corrupt"):
        fetch_dataset(store, SOURCE, VERSION, dest)

    assert not dest.exists()
