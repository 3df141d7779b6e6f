"""No credential may reach logs, metadata, reports, the registry or exceptions.

A sync runs with marker values as AWS_SECRET_ACCESS_KEY and as the password in MONGODB_URI
(SecantusDB checks passwords of users it knows, so the module's server gets that user). The
test then runs a sync that succeeds, one that fails a dataset, and one that fails on
AccessDenied, plus `verify` and `stats`, and searches every output for the markers: stdout and
stderr, each file under the state folder (the Dagster event log included), every object in
the store and every registry document.
"""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pymongo
import pytest
from bson import json_util

from gnosis_assets_tests.faults.conftest import TargetFactory
from gnosis_assets_tests.faults.harness import Target, run_cli
from gnosis_assets_tests.faults.proxy import FaultPlan, FaultProxy
from gnosis_assets_tests.helpers import running_secantus

AWS_MARKER = "AwsMarkerSecret7Qx9"
MONGO_PASSWORD = "MongoMarkerPass4Kz2"
MARKERS = (AWS_MARKER.encode(), MONGO_PASSWORD.encode())


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start a SecantusDB server with a user whose password is a marker; return its URI."""
    with running_secantus(tmp_path_factory.mktemp("secrets")) as server:
        uri = str(server.uri)
        client: pymongo.MongoClient = pymongo.MongoClient(uri)
        with client:
            client.admin.command("createUser", "gnosis", pwd=MONGO_PASSWORD, roles=["root"])
        yield uri.replace("mongodb://", f"mongodb://gnosis:{MONGO_PASSWORD}@", 1)


def leaks_in(data: bytes) -> list[str]:
    return [marker.decode() for marker in MARKERS if marker in data]


def leaking_files(folder: Path) -> list[str]:
    found = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and leaks_in(path.read_bytes()):
            found.append(str(path))
    return found


def leaking_objects(target: Target) -> list[str]:
    store = target.store()
    return [info.key for info in store.list("") if leaks_in(b"".join(store.get_chunks(info.key)))]


def leaking_documents(target: Target) -> list[str]:
    found = []
    client: pymongo.MongoClient = pymongo.MongoClient(target.env["MONGODB_URI"])
    with client:
        database = client[target.env["GNOSIS_MONGODB_DATABASE"]]
        for name in database.list_collection_names():
            for document in database[name].find({}):
                if leaks_in(json_util.dumps(document).encode()):
                    found.append(f"{name}/{document['_id']}")
    return found


@pytest.mark.slow
def test_no_secret_in_any_output(
    auth_server: str, blob_volumes: Path, target_factory: TargetFactory, s3_endpoint: str
) -> None:
    volumes = blob_volumes.parent / "secret-volumes"
    shutil.copytree(blob_volumes, volumes, dirs_exist_ok=True)
    target = target_factory(
        volumes,
        "s3",
        mongodb_uri=auth_server,
        extra={"AWS_SECRET_ACCESS_KEY": AWS_MARKER},
    )
    outputs = []

    good = run_cli(target, "sync")
    assert good.returncode == 0, good.stderr[-3000:]
    outputs += [good.stdout, good.stderr]
    for command in ("verify", "stats"):
        result = run_cli(target, command)
        assert result.returncode == 0, result.stderr[-3000:]
        outputs += [result.stdout, result.stderr]

    # A dataset that fails to parse: its error goes to the log, the report and the registry.
    bad = volumes / "veridica-datasets" / "gdsc" / "gdsc_v18"
    bad.mkdir()
    (bad / "ragged.csv").write_text("a,b\n1,2,3\n", encoding="utf-8")
    failed = run_cli(target, "sync", "--log-level", "DEBUG")
    assert failed.returncode == 1
    outputs += [failed.stdout, failed.stderr]

    # A store error raised through the CLI, with its traceback.
    with FaultProxy(s3_endpoint, FaultPlan(deny_all=True)) as proxy:
        denied_env = {**target.env, "AWS_ENDPOINT_URL_S3": proxy.url}
        denied = run_cli(Target(denied_env), "sync")
    assert denied.returncode != 0
    assert "AccessDenied" in denied.stderr
    outputs += [denied.stdout, denied.stderr]

    assert [index for index, text in enumerate(outputs) if leaks_in(text.encode())] == []
    assert leaking_files(target.settings.home) == []
    assert leaking_objects(target) == []
    assert leaking_documents(target) == []
