"""Fixtures for the lineage tests: a registry on the suite's SecantusDB server, filled like a
sync fills it."""

from collections.abc import Iterator
from typing import Any

import pytest
from secantus import SecantusDBServer

from gnosis_assets.registry.client import Registry
from gnosis_assets_tests.builders import fill_registry, open_test_registry


@pytest.fixture(scope="package")
def filled_registry(
    mongodb_server: SecantusDBServer,
) -> Iterator[tuple[Registry, dict[str, Any]]]:
    with open_test_registry(str(mongodb_server.uri), "gnosis_lineage_tests") as registry:
        yield registry, fill_registry(registry)


@pytest.fixture
def registry(filled_registry: tuple[Registry, dict[str, Any]]) -> Registry:
    return filled_registry[0]


@pytest.fixture
def registered(filled_registry: tuple[Registry, dict[str, Any]]) -> dict[str, Any]:
    return filled_registry[1]
