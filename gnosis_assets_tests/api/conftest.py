"""Fixtures for the API tests: a filled registry on the suite's SecantusDB server, and the real
uvicorn server, run in a thread on a free 127.0.0.1 port and queried over HTTP with httpx.
"""

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from secantus import SecantusDBServer

from gnosis_assets.api import create_app
from gnosis_assets.settings import Settings
from gnosis_assets_tests.builders import fill_registry, open_test_registry

DATABASE = "gnosis_api_tests"


@dataclass(frozen=True)
class RunningApi:
    base_url: str
    port: int
    registered: dict[str, Any]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(settings: Settings, port: int, **options: Any) -> tuple[uvicorn.Server, Any]:
    """Start uvicorn with the API in a thread and wait until it accepts connections."""
    config = uvicorn.Config(
        create_app(settings, **options), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"uvicorn did not start on 127.0.0.1:{port}")
        time.sleep(0.05)
    return server, thread


def stop_server(server: uvicorn.Server, thread: threading.Thread) -> None:
    server.should_exit = True
    thread.join(timeout=20)


@pytest.fixture(scope="package")
def api(
    mongodb_server: SecantusDBServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningApi]:
    uri = str(mongodb_server.uri)
    with open_test_registry(uri, DATABASE) as registry:
        registered = fill_registry(registry)
    home: Path = tmp_path_factory.mktemp("gnosis-home")
    settings = Settings.from_env(
        {"GNOSIS_HOME": str(home), "MONGODB_URI": uri, "GNOSIS_MONGODB_DATABASE": DATABASE}
    )
    port = free_port()
    server, thread = start_server(settings, port)
    try:
        yield RunningApi(base_url=f"http://127.0.0.1:{port}", port=port, registered=registered)
    finally:
        stop_server(server, thread)


@pytest.fixture
def client(api: RunningApi) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api.base_url, timeout=30) as http:
        yield http
