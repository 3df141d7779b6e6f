"""Fail registry writes with SecantusDB's `failCommand` failpoint during a sync, then rerun.

Each case arms the failpoint on `update` (the registry's `replace_one` upserts) before the sync
starts, runs `gnosis sync`, and checks that no registry document points at a metadata.json
other than the one in the store. Publication in the store happens before the registry write,
so a failed write leaves the version in the store without its record (verify lists it as
extra) until the rerun, with the failpoint off, records it.

The failpoint is server-wide, so this module runs its own SecantusDB server.
"""

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pymongo
import pytest
from secantus import SecantusDBServer

from gnosis_assets.registry.client import open_registry
from gnosis_assets.sync.metadata import METADATA_NAME
from gnosis_assets_tests.faults.conftest import Reference, TargetFactory
from gnosis_assets_tests.faults.harness import Target, assert_converged, run_cli, snapshot
from gnosis_assets_tests.helpers import running_secantus


@pytest.fixture(scope="module")
def failpoint_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecantusDBServer]:
    with running_secantus(tmp_path_factory.mktemp("failpoints")) as server:
        yield server


def configure_failpoint(uri: str, mode: Any, data: dict[str, Any]) -> None:
    client: pymongo.MongoClient = pymongo.MongoClient(uri, serverSelectionTimeoutMS=5000)
    with client:
        client.admin.command({"configureFailPoint": "failCommand", "mode": mode, "data": data})


def assert_no_half_record(target: Target) -> None:
    """Assert that every registry record matches the metadata.json in the store byte for byte."""
    store = target.store()
    with open_registry(target.settings) as registry:
        for document in registry.datasets():
            key = f"{document['prefix']}/{METADATA_NAME}"
            stored = hashlib.sha256(b"".join(store.get_chunks(key))).hexdigest()
            assert document["metadata_sha256"] == stored, key


CASES = {
    "error-always": ("alwaysOn", {"failCommands": ["update"], "errorCode": 2}),
    "close-connection": ({"times": 2}, {"failCommands": ["update"], "closeConnection": True}),
    "retryable-error": ({"times": 1}, {"failCommands": ["update"], "errorCode": 91}),
    "insert-error": ({"times": 3}, {"failCommands": ["insert"], "errorCode": 2}),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(CASES))
def test_registry_write_failure_converges(
    case: str,
    failpoint_server: SecantusDBServer,
    blob_volumes: Path,
    target_factory: TargetFactory,
    reference: Callable[[str], Reference],
) -> None:
    clean_state, _seconds = reference("local")
    uri = str(failpoint_server.uri)
    target = target_factory(blob_volumes, "local", mongodb_uri=uri)
    mode, data = CASES[case]

    configure_failpoint(uri, mode, data)
    try:
        first = run_cli(target, "sync")
    finally:
        configure_failpoint(uri, "off", {})
    assert first.returncode in (0, 1), first.stderr[-3000:]
    if case == "error-always":
        assert first.returncode == 1
    assert_no_half_record(target)

    rerun = run_cli(target, "sync")
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert_converged(snapshot(target), clean_state)
