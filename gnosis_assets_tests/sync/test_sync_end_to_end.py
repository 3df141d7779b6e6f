"""The main job end to end: sample volumes -> store, metadata.json, sync report, registry.

Runs against both stores (a local folder and S3 over HTTP through moto's server) and the
SecantusDB MongoDB-wire server, through a real persistent Dagster instance.
"""

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from dagster import DagsterInstance
from secantus import SecantusDBServer

from gnosis_assets.defs.runner import SyncOutcome
from gnosis_assets.lib.canonical import canonical_json
from gnosis_assets.lib.hashing import content_hash
from gnosis_assets.registry.client import open_registry
from gnosis_assets.registry.stats import registry_stats
from gnosis_assets.settings import SAMPLE_VOLUMES, Settings
from gnosis_assets.stores.s3 import S3Store
from gnosis_assets_tests.conftest import PRODUCT_VARIABLES, TEST_CREDENTIALS
from gnosis_assets_tests.helpers import (
    keys_of,
    registry_counts,
    registry_snapshot,
    sha256_of,
    store_for,
    sync,
)

CURATED = {
    "chembl/chembl_27": ["EGFR_compounds.csv"],
    "bindingdb/bindingdb_2015m10": ["BindingDB_All_header.txt", "bindings-drugbank-collapsed.tsv"],
    "gdsc/gdsc_v17": ["GDSC1_drug_list_2019-06-24.csv", "IC50_v17.csv.gz"],
}
MODEL_FILES = {
    "gnosis-i/v1": ["model.yaml", "reports/egfr_logreg_morgan.json"],
    "gnosis-ii/v1": ["model.yaml", "reports/params.json", "reports/val_scores.json"],
}
EXPECTED_ROWS = {
    "EGFR_compounds.csv": 5568,
    "bindings-drugbank-collapsed.tsv": 21765,
    "BindingDB_All_header.txt": 193,
    "IC50_v17.csv.gz": 988,
    "GDSC1_drug_list_2019-06-24.csv": 266,
}


@pytest.fixture(scope="module", params=["local", "s3"])
def synced_once(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    s3_endpoint: str,
    mongodb_server: SecantusDBServer,
) -> Iterator[tuple[Settings, SyncOutcome, Path]]:
    """Sync the sample volumes once per store kind and share the result with read-only tests."""
    root = tmp_path_factory.mktemp(f"synced-{request.param}")
    volumes = root / "volumes"
    shutil.copytree(SAMPLE_VOLUMES, volumes, ignore=shutil.ignore_patterns("README.md"))
    with pytest.MonkeyPatch.context() as patch:
        for name in PRODUCT_VARIABLES:
            patch.delenv(name, raising=False)
        patch.setenv("GNOSIS_HOME", str(root / "home"))
        patch.setenv("GNOSIS_VOLUMES", str(volumes))
        patch.setenv("DAGSTER_HOME", str(root / "home" / "dagster"))
        patch.setenv("MONGODB_URI", mongodb_server.uri)
        patch.setenv("GNOSIS_MONGODB_DATABASE", f"gnosis_shared_{uuid.uuid4().hex[:12]}")
        if request.param == "s3":
            for name, value in TEST_CREDENTIALS.items():
                patch.setenv(name, value)
            patch.setenv("AWS_ENDPOINT_URL_S3", s3_endpoint)
            bucket = f"gnosis-shared-{uuid.uuid4().hex[:12]}"
            boto3.client("s3").create_bucket(Bucket=bucket)
            patch.setenv("GNOSIS_STORE", f"s3://{bucket}/team")
        else:
            patch.setenv("GNOSIS_STORE", str(root / "store"))
        settings = Settings.from_env()
        outcome = sync(settings)
        environment = {name: os.environ[name] for name in ENVIRONMENT if name in os.environ}
        yield settings, outcome, volumes, environment


ENVIRONMENT = (*PRODUCT_VARIABLES, *TEST_CREDENTIALS, "DAGSTER_HOME")


@pytest.fixture
def synced(
    synced_once: tuple[Settings, SyncOutcome, Path, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[Settings, SyncOutcome, Path]:
    """Restore the shared sync's environment, which the per-test clean-up removes."""
    settings, outcome, volumes, environment = synced_once
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return settings, outcome, volumes


def expected_keys() -> list[str]:
    keys = []
    for version, names in CURATED.items():
        prefix = f"datasets/{version}"
        keys += [f"{prefix}/{name}" for name in names]
        keys.append(f"{prefix}/metadata.json")
        keys += [f"{prefix}/splits/default/{split}.csv" for split in ("test", "train", "val")]
    for version, names in MODEL_FILES.items():
        keys += [f"models/{version}/{name}" for name in names]
    return sorted(keys)


def test_sync_publishes_exact_keys(synced: tuple[Settings, SyncOutcome, Path]) -> None:
    settings, outcome, _volumes = synced
    store = store_for(settings)
    published = [
        key
        for key in keys_of(store, "")
        if key.startswith(("datasets/", "models/"))
        and not key.startswith("datasets/_sync_reports/")
    ]
    assert outcome.ok, outcome.report
    assert published == expected_keys()
    reports = keys_of(store, "datasets/_sync_reports/")
    assert f"datasets/_sync_reports/{outcome.report['report_id']}_sync_report.json" in reports
    assert "datasets/_sync_reports/latest.json" in reports


def test_metadata_json_records_source_bytes(synced: tuple[Settings, SyncOutcome, Path]) -> None:
    settings, outcome, volumes = synced
    store = store_for(settings)
    instance = DagsterInstance.from_config(str(settings.dagster_home))
    for version, names in CURATED.items():
        raw = b"".join(store.get_chunks(f"datasets/{version}/metadata.json"))
        document = json.loads(raw)
        files = {item["name"]: item for item in document["files"]}

        assert raw == canonical_json(document)
        assert sorted(files) == sorted(names)
        for name in names:
            source = volumes / "veridica-datasets" / version / name
            record = files[name]
            assert record["sha256"] == sha256_of(source)
            assert record["size"] == source.stat().st_size
            assert record["rows"] == EXPECTED_ROWS[name]
            assert record["source_volume"] == "veridica-datasets"
            assert record["source_path"] == f"{version}/{name}"
            assert record["source_mtime"].endswith("Z")
            assert record["key"] == f"datasets/{version}/{name}"
            stored = b"".join(store.get_chunks(record["key"]))
            assert hashlib.sha256(stored).hexdigest() == record["sha256"]
        assert document["file_count"] == len(names)
        assert document["total_bytes"] == sum(item["size"] for item in files.values())
        assert document["content_hash"] == content_hash(
            (item["key"], item["sha256"]) for item in document["files"]
        )
        assert document["synced_at"].endswith("Z")
        assert document["product"]["version"]
        assert "git_commit" in document["product"]
        assert instance.get_run_by_id(document["dagster_run_id"]) is not None
        assert document["dagster_run_id"] in outcome.run_ids


def test_profiles_keep_real_file_quirks(synced: tuple[Settings, SyncOutcome, Path]) -> None:
    store = store_for(synced[0])

    def profile(version: str, name: str) -> dict:
        document = json.loads(b"".join(store.get_chunks(f"datasets/{version}/metadata.json")))
        return next(item["profile"] for item in document["files"] if item["name"] == name)

    egfr = profile("chembl/chembl_27", "EGFR_compounds.csv")
    drugs = profile("gdsc/gdsc_v17", "GDSC1_drug_list_2019-06-24.csv")
    matrix = profile("gdsc/gdsc_v17", "IC50_v17.csv.gz")
    binding = profile("bindingdb/bindingdb_2015m10", "bindings-drugbank-collapsed.tsv")
    header = profile("bindingdb/bindingdb_2015m10", "BindingDB_All_header.txt")
    assert egfr["header"][0] == ""
    assert drugs["line_ending"] == "CRLF"
    assert drugs["final_newline"] is False
    assert matrix["compression"] == "gzip"
    assert matrix["columns"] == 266
    assert binding["delimiter"] == "\t"
    assert "BindingDB Target Chain  Sequence" in header["duplicate_columns"]


def test_registry_counts_and_stats(synced: tuple[Settings, SyncOutcome, Path]) -> None:
    product_env, outcome, _volumes = synced
    with open_registry(product_env) as registry:
        stats = registry_stats(registry)
        model = registry.model("gnosis-i", "v1")
        artifacts = registry.artifacts("gnosis-ii", "v1")
    assert registry_counts(product_env) == {"datasets": 3, "models": 2, "artifacts": 5}
    assert stats["datasets_count"] == 3
    assert stats["models_count"] == 2
    assert stats["artifacts_count"] == 5
    assert stats["s3_objects"] == len(keys_of(store_for(product_env), ""))
    assert stats["last_sync"]["report_id"] == outcome.report["report_id"]
    assert model is not None
    assert [(item["source"], item["role"]) for item in model["datasets"]] == [
        ("bindingdb", "train"),
        ("chembl", "evaluation"),
    ]
    assert all(len(item["content_hash"]) == 64 for item in model["datasets"])
    assert [item["name"] for item in artifacts] == [
        "model.yaml",
        "reports/params.json",
        "reports/val_scores.json",
    ]


def test_second_sync_uploads_nothing(product_env: Settings) -> None:
    first = sync(product_env)
    store = store_for(product_env)
    metadata_before = {
        version: b"".join(store.get_chunks(f"datasets/{version}/metadata.json"))
        for version in CURATED
    }
    registry_before = registry_snapshot(product_env)

    second = sync(product_env)

    assert first.ok
    assert second.ok
    assert second.report["totals"]["bytes_uploaded"] == 0
    assert second.report["totals"]["files_uploaded"] == 0
    assert registry_snapshot(product_env) == registry_before
    for version, data in metadata_before.items():
        assert b"".join(store.get_chunks(f"datasets/{version}/metadata.json")) == data


def test_full_resync_reads_but_does_not_upload(product_env: Settings) -> None:
    sync(product_env)
    again = sync(product_env, full=True)
    totals = again.report["totals"]
    assert totals["files_trusted_from_cache"] == 0
    assert totals["bytes_uploaded"] == 0
    assert totals["bytes_read"] > 0


def test_sync_report_lists_every_file(synced: tuple[Settings, SyncOutcome, Path]) -> None:
    settings, outcome, _volumes = synced
    store = store_for(settings)
    latest = json.loads(b"".join(store.get_chunks("datasets/_sync_reports/latest.json")))
    files = {
        item["key"]: item
        for entry in latest["datasets"] + latest["splits"] + latest["models"]
        for item in entry["files"]
    }
    assert latest["report_id"] == outcome.report["report_id"]
    assert sorted(files) == expected_keys_without_metadata()
    assert all(len(item["sha256"]) == 64 for item in files.values())
    assert all(item["action"] == "uploaded" for item in files.values())
    assert latest["totals"]["files"] == len(files)
    assert latest["started_at"] <= latest["ended_at"]
    assert [entry["status"] for entry in latest["datasets"]] == ["ok", "ok", "ok"]


def expected_keys_without_metadata() -> list[str]:
    return [key for key in expected_keys() if not key.endswith("metadata.json")]


def test_s3_objects_carry_sha256_metadata(synced: tuple[Settings, SyncOutcome, Path]) -> None:
    store = store_for(synced[0])
    if not isinstance(store, S3Store):
        pytest.skip("object metadata checksums are an S3 feature; the local store has sidecars")
    for key in expected_keys():
        info = store.head(key)
        assert info is not None
        data = b"".join(store.get_chunks(key))
        assert info.sha256 == hashlib.sha256(data).hexdigest()
        checksum, _parts = store.remote_checksum(key)
        assert checksum is not None
