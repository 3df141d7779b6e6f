"""Fixtures shared by the test suite: an S3 server over HTTP, a MongoDB-wire server, copies of
the sample volumes, and the environment that points the product at them.

moto runs in server mode (`ThreadedMotoServer`) and boto3 reaches it through
AWS_ENDPOINT_URL_S3, exactly as users configure a real endpoint. SecantusDB runs in-process
and speaks the MongoDB wire protocol to plain pymongo.
"""

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer
from secantus import SecantusDBServer

from gnosis_assets.settings import SAMPLE_VOLUMES, Settings
from gnosis_assets_tests.helpers import running_secantus

TEST_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing-access-key",
    "AWS_SECRET_ACCESS_KEY": "testing-secret-key",
    "AWS_DEFAULT_REGION": "us-east-1",
}
# Variables that would point the product at anything other than what a test set up.
PRODUCT_VARIABLES = (
    "GNOSIS_HOME",
    "GNOSIS_VOLUMES",
    "GNOSIS_STORE",
    "MONGODB_URI",
    "GNOSIS_MONGODB_DATABASE",
    "GNOSIS_IMMUTABLE_VERSIONS",
    "GNOSIS_WORKERS",
    "GNOSIS_CATALOG",
    "AWS_PROFILE",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "AWS_SESSION_TOKEN",
)


# A closed loopback port: an S3 client that a test forgot to point at moto fails here at once
# instead of reaching out to AWS.
UNCONFIGURED_S3_ENDPOINT = "http://127.0.0.1:9"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PRODUCT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", UNCONFIGURED_S3_ENDPOINT)
    for name, value in TEST_CREDENTIALS.items():
        monkeypatch.setenv(name, value)


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_bucket(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Create a fresh bucket and point the standard AWS variables at the moto server."""
    for name, value in TEST_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_endpoint)
    bucket = f"gnosis-test-{uuid.uuid4().hex[:12]}"
    boto3.client("s3").create_bucket(Bucket=bucket)
    return bucket


@pytest.fixture(scope="session")
def mongodb_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecantusDBServer]:
    with running_secantus(tmp_path_factory.mktemp("secantus")) as server:
        yield server


@pytest.fixture
def mongodb_uri(mongodb_server: SecantusDBServer, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the registry at the test server, in a database of its own for each test."""
    monkeypatch.setenv("MONGODB_URI", mongodb_server.uri)
    monkeypatch.setenv("GNOSIS_MONGODB_DATABASE", f"gnosis_test_{uuid.uuid4().hex[:12]}")
    return str(mongodb_server.uri)


@pytest.fixture
def volumes(tmp_path: Path) -> Path:
    """Return a writable copy of the sample volumes."""
    target = tmp_path / "volumes"
    shutil.copytree(SAMPLE_VOLUMES, target, ignore=shutil.ignore_patterns("README.md"))
    return target


@pytest.fixture(params=["local", "s3"])
def store_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def product_env(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    volumes: Path,
    mongodb_uri: str,
    monkeypatch: pytest.MonkeyPatch,
    store_kind: str,
) -> Settings:
    """Point the product at the volume copy, a store of `store_kind` and the test registry."""
    monkeypatch.setenv("GNOSIS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GNOSIS_VOLUMES", str(volumes))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home" / "dagster"))
    if store_kind == "s3":
        bucket = request.getfixturevalue("s3_bucket")
        monkeypatch.setenv("GNOSIS_STORE", f"s3://{bucket}/team")
    else:
        monkeypatch.setenv("GNOSIS_STORE", str(tmp_path / "store"))
    return Settings.from_env()
