"""Property-based fuzzing of every API operation from its own OpenAPI document (schemathesis).

Each operation gets a small, fixed number of generated requests against the real server, both
valid ones and ones that break the declared parameter constraints. Responses are checked for
server errors, undeclared status codes and bodies that do not match the declared response
schema. `max_examples` bounds the run to well under a minute.

The schema is taken from the application object at import time, because schemathesis 4.32's
`schemathesis.pytest.from_fixture` fails under pytest 9.2 (it reads the removed private
`Function._nodeid`). A test checks that the served `/openapi.json` is the same document.
"""

from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from gnosis_assets.api import create_app
from gnosis_assets.settings import Settings

from .conftest import RunningApi

MAX_EXAMPLES = 30  # per operation

# The application opens no connection until a request needs one, so any settings do here.
OPENAPI = create_app(
    Settings.from_env({"GNOSIS_HOME": str(Path.cwd() / ".gnosis"), "MONGODB_URI": "mongodb://x"})
).openapi()
schema = schemathesis.openapi.from_dict(OPENAPI)
# Negative mode also sends values that break the declared constraints; their responses must
# still have a declared status code (422 here).
schema.config.generation.update(
    modes=[schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]
)


def test_served_openapi_is_fuzzed_document(api: RunningApi) -> None:
    served = httpx.get(f"{api.base_url}/openapi.json", timeout=30).json()

    assert served == OPENAPI


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_conforms_to_openapi(case: schemathesis.Case, api: RunningApi) -> None:
    case.call_and_validate(base_url=api.base_url, timeout=30)


# Generated names almost never exist in the registry, so the 200 bodies of the detail
# endpoints are checked here with names that do.
REGISTERED_CASES = [
    ("/api/registry/datasets/{source}/{version}", {"source": "chembl", "version": "chembl_27"}),
    ("/api/registry/models/{model}/{version}", {"model": "gnosis-i", "version": "v1"}),
    ("/api/registry/models/{model}/{version}/lineage", {"model": "gnosis-i", "version": "v1"}),
    ("/api/registry/models/{model}/{version}/lineage", {"model": "gnosis-ii", "version": "v1"}),
    (
        "/api/registry/models/{model}/{version}/lineage/openlineage",
        {"model": "gnosis-i", "version": "v1"},
    ),
    ("/api/registry/sync-reports/{report_id}", {"report_id": "20240502_090000"}),
]


@pytest.mark.parametrize(("path", "parameters"), REGISTERED_CASES)
def test_registered_names_conform(api: RunningApi, path: str, parameters: dict[str, str]) -> None:
    case = schema[path]["GET"].Case(path_parameters=parameters)

    response = case.call_and_validate(base_url=api.base_url, timeout=30)

    assert response.status_code == 200
