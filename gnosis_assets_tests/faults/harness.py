"""Run `gnosis` as a subprocess against test servers, and compare what a sync left behind.

The fault tests judge a sync by its end state: every object key, the content hash in each
metadata.json, the registry documents, leftover staging objects and unfinished multipart
uploads. `snapshot` collects that state and `assert_converged` compares it with a clean run.
"""

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from gnosis_assets.registry.client import open_registry
from gnosis_assets.settings import SAMPLE_VOLUMES, SYNC_REPORTS_PREFIX, Settings
from gnosis_assets.stores.base import ObjectStore
from gnosis_assets.stores.factory import open_store, parse_s3_uri
from gnosis_assets.stores.local import INTERNAL_FOLDER
from gnosis_assets.sync.datasets import STAGING_PREFIX
from gnosis_assets.sync.metadata import METADATA_NAME
from gnosis_assets.verify import verify_store
from gnosis_assets_tests.conftest import TEST_CREDENTIALS

CLI_TIMEOUT = 180  # seconds; a sync of the small test volume takes 5 to 20
BLOB_SIZE = 36 * 1024 * 1024  # bytes: three 16 MiB multipart parts, the last one short


def fast_folder(fallback: Path) -> Path:
    """Return a fresh folder on tmpfs if there is one, else `fallback`.

    Dagster's SQLite storage commits every event, and on a slow disk those fsync calls make up
    most of a sync's wall time. SIGKILL ends a process without losing what it wrote to the page
    cache, so tmpfs changes nothing the kill tests check.
    """
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        folder = shm / f"gnosis-faults-{os.getpid()}-{time.monotonic_ns()}"
        folder.mkdir()
        return folder
    fallback.mkdir(parents=True, exist_ok=True)
    return fallback


def remove_folder(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def small_volumes(root: Path, *, blob: bool = False) -> Path:
    """Copy the gdsc source only, optionally with a seeded random file above the part size.

    gdsc's hash split takes well under a second, where chembl's scaffold split takes about ten.
    """
    target = root / "volumes"
    gdsc = "veridica-datasets/gdsc"
    shutil.copytree(SAMPLE_VOLUMES / gdsc, target / gdsc)
    (target / "veridica-models").mkdir(parents=True)
    if blob:
        data = hashlib.shake_256(b"gnosis fault blob").digest(BLOB_SIZE)
        (target / gdsc / "gdsc_v17" / "blob.bin").write_bytes(data)
    return target


@dataclass
class Target:
    """One isolated sync target: state folder, store, registry database and environment."""

    env: dict[str, str]

    @property
    def settings(self) -> Settings:
        return Settings.from_env(self.env)

    def store(self) -> ObjectStore:
        """Open the target's store with a client built from the target's own environment."""
        settings = self.settings
        if settings.store_is_s3:
            return open_store(settings, client=s3_client(self.env["AWS_ENDPOINT_URL_S3"]))
        return open_store(settings)


def make_target(
    root: Path,
    volumes: Path,
    mongodb_uri: str,
    database: str,
    *,
    s3_endpoint: str | None = None,
    bucket: str | None = None,
    extra: dict[str, str] | None = None,
) -> Target:
    """Build the environment of a `gnosis` subprocess that touches only test servers."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(root),
        "LANG": "C.UTF-8",
        "GNOSIS_HOME": str(root / "home"),
        "DAGSTER_HOME": str(root / "home" / "dagster"),
        "GNOSIS_VOLUMES": str(volumes),
        "MONGODB_URI": mongodb_uri,
        "GNOSIS_MONGODB_DATABASE": database,
        **TEST_CREDENTIALS,
    }
    if s3_endpoint is not None and bucket is not None:
        env["AWS_ENDPOINT_URL_S3"] = s3_endpoint
        env["GNOSIS_STORE"] = f"s3://{bucket}/team"
    else:
        env["GNOSIS_STORE"] = str(root / "store")
    env.update(extra or {})
    return Target(env)


def s3_client(endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=TEST_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=TEST_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=TEST_CREDENTIALS["AWS_DEFAULT_REGION"],
    )


def gnosis_command(*args: str) -> list[str]:
    script = Path(sys.executable).with_name("gnosis")
    if script.exists():
        return [str(script), *args]
    return [sys.executable, "-m", "gnosis_assets.cli.main", *args]


def run_cli(
    target: Target, *args: str, timeout: float = CLI_TIMEOUT
) -> subprocess.CompletedProcess:
    """Run `gnosis ARGS` to completion and return its exit code and output."""
    return subprocess.run(
        gnosis_command(*args),
        env=target.env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_cli(target: Target, *args: str) -> subprocess.Popen:
    """Start `gnosis ARGS` in a process group of its own, so a kill reaches all of it."""
    return subprocess.Popen(
        gnosis_command(*args),
        env=target.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def kill_after(process: subprocess.Popen, delay: float) -> bool:
    """SIGKILL the process group after `delay` seconds; return False if it had exited."""
    try:
        process.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate(timeout=CLI_TIMEOUT)
        return True
    process.communicate(timeout=CLI_TIMEOUT)
    return False


def store_keys(store: ObjectStore) -> list[str]:
    """Return every key except the timestamped sync reports, which differ per run."""
    return [
        info.key for info in store.list("") if not info.key.startswith(SYNC_REPORTS_PREFIX + "/")
    ]


def unfinished_uploads(target: Target) -> list[str]:
    """Return the keys of multipart uploads (S3) or partial files (local) still open."""
    settings = target.settings
    if settings.store_is_s3:
        bucket, _prefix = parse_s3_uri(settings.store)
        client = s3_client(target.env["AWS_ENDPOINT_URL_S3"])
        uploads = client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
        return [upload["Key"] for upload in uploads]
    temporary = Path(settings.store) / INTERNAL_FOLDER / "tmp"
    return sorted(path.name for path in temporary.iterdir()) if temporary.is_dir() else []


def _registry_view(document: dict[str, Any]) -> dict[str, Any]:
    return {
        "content_hash": document.get("content_hash"),
        "files": sorted((item["key"], item["sha256"]) for item in document.get("files", [])),
    }


def snapshot(target: Target) -> dict[str, Any]:
    """Collect the end state of a sync target in a form that two clean runs share."""
    settings = target.settings
    store = target.store()
    keys = store_keys(store)
    content_hashes = {}
    for key in keys:
        if key.endswith(f"/{METADATA_NAME}"):
            document = b"".join(store.get_chunks(key))
            content_hashes[key] = _content_hash_of(document)
    with open_registry(settings) as registry:
        datasets = {
            f"{item['source']}/{item['version']}": _registry_view(item)
            for item in registry.datasets()
        }
        metadata_sha256 = {
            f"{item['prefix']}/{METADATA_NAME}": item["metadata_sha256"]
            for item in registry.datasets()
        }
        verification = verify_store(store, registry)
    stored_sha256 = {
        key: hashlib.sha256(b"".join(store.get_chunks(key))).hexdigest() for key in metadata_sha256
    }
    return {
        "keys": keys,
        "content_hashes": content_hashes,
        "registry_datasets": datasets,
        "registry_metadata_sha256": metadata_sha256,
        "stored_metadata_sha256": stored_sha256,
        "verify_problems": [
            f"{problem.kind} {problem.key}: {problem.detail}" for problem in verification.problems
        ],
        "unfinished_uploads": unfinished_uploads(target),
    }


def _content_hash_of(document: bytes) -> str:
    return str(json.loads(document)["content_hash"])


def assert_converged(state: dict[str, Any], reference: dict[str, Any]) -> None:
    """Assert that a target ended in the state of one clean sync."""
    assert state["verify_problems"] == []
    assert [key for key in state["keys"] if key.startswith(f"{STAGING_PREFIX}/")] == []
    assert state["unfinished_uploads"] == []
    assert state["keys"] == reference["keys"]
    assert state["content_hashes"] == reference["content_hashes"]
    assert state["registry_datasets"] == reference["registry_datasets"]
    # The registry records the metadata.json that is in the store, byte for byte.
    assert state["registry_metadata_sha256"] == state["stored_metadata_sha256"]
    assert sorted(state["registry_metadata_sha256"]) == sorted(state["content_hashes"])
