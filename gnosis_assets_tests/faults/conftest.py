"""Fixtures of the fault tests: folders on tmpfs, a small volume, and isolated sync targets."""

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from secantus import SecantusDBServer

from gnosis_assets_tests.faults.harness import (
    Target,
    fast_folder,
    make_target,
    remove_folder,
    run_cli,
    s3_client,
    small_volumes,
    snapshot,
)

TargetFactory = Callable[..., Target]
Reference = tuple[dict[str, Any], float]  # end state of a clean sync, and its wall time


@pytest.fixture
def fault_root(tmp_path: Path) -> Iterator[Path]:
    folder = fast_folder(tmp_path / "fast")
    yield folder
    remove_folder(folder)


@pytest.fixture(scope="module")
def blob_volumes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Return the small volume with a 36 MiB file, shared read-only by a module's tests."""
    folder = fast_folder(tmp_path_factory.mktemp("volumes"))
    yield small_volumes(folder, blob=True)
    remove_folder(folder)


def new_bucket(endpoint: str) -> str:
    bucket = f"gnosis-fault-{uuid.uuid4().hex[:12]}"
    s3_client(endpoint).create_bucket(Bucket=bucket)
    return bucket


@pytest.fixture
def target_factory(
    fault_root: Path, mongodb_server: SecantusDBServer, s3_endpoint: str
) -> TargetFactory:
    """Return a function that builds a fresh target under `fault_root` for a store kind."""
    count = 0

    def build(
        volumes: Path,
        store_kind: str = "local",
        *,
        endpoint: str | None = None,
        mongodb_uri: str | None = None,
        extra: dict[str, str] | None = None,
    ) -> Target:
        nonlocal count
        count += 1
        root = fault_root / f"target-{count}"
        root.mkdir()
        database = f"gnosis_fault_{uuid.uuid4().hex[:12]}"
        uri = mongodb_uri or str(mongodb_server.uri)
        if store_kind == "s3":
            bucket = new_bucket(s3_endpoint)
            return make_target(
                root,
                volumes,
                uri,
                database,
                s3_endpoint=endpoint or s3_endpoint,
                bucket=bucket,
                extra=extra,
            )
        return make_target(root, volumes, uri, database, extra=extra)

    return build


@pytest.fixture(scope="module")
def reference(
    tmp_path_factory: pytest.TempPathFactory,
    blob_volumes: Path,
    mongodb_server: SecantusDBServer,
    s3_endpoint: str,
) -> Iterator[Callable[[str], Reference]]:
    """Return the end state and wall time of one clean sync per store kind, run once each."""
    folder = fast_folder(tmp_path_factory.mktemp("reference"))
    cache: dict[str, Reference] = {}

    def get(kind: str) -> Reference:
        if kind not in cache:
            root = folder / kind
            root.mkdir()
            database = f"gnosis_reference_{uuid.uuid4().hex[:12]}"
            bucket = new_bucket(s3_endpoint) if kind == "s3" else None
            target = make_target(
                root,
                blob_volumes,
                str(mongodb_server.uri),
                database,
                s3_endpoint=s3_endpoint if kind == "s3" else None,
                bucket=bucket,
            )
            started = time.monotonic()
            result = run_cli(target, "sync")
            elapsed = time.monotonic() - started
            assert result.returncode == 0, result.stderr[-3000:]
            cache[kind] = (snapshot(target), elapsed)
        return cache[kind]

    yield get
    remove_folder(folder)
