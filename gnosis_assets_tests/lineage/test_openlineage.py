"""OpenLineage export of lineage trees: RunEvent shape, jobs, datasets and the checksum facet.

The custom facet is validated against its own JSON schema with jsonschema. The events are
not sent to an OpenLineage backend.
"""

import uuid
from datetime import UTC, datetime
from typing import Any

import jsonschema
import pytest

from gnosis_assets.lineage.graph import lineage_tree
from gnosis_assets.lineage.openlineage import (
    CHECKSUMS_FACET_NAME,
    CHECKSUMS_FACET_SCHEMA,
    CHECKSUMS_FACET_SCHEMA_URL,
    PRODUCER,
    openlineage_events,
)
from gnosis_assets.registry.client import Registry

RUN_EVENT_SCHEMA_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"


@pytest.fixture
def events(registry: Registry) -> list[dict[str, Any]]:
    return openlineage_events(lineage_tree(registry, "gnosis-i", "v1"))


def _facet_validator() -> jsonschema.Draft202012Validator:
    schema = {**CHECKSUMS_FACET_SCHEMA, "$ref": "#/$defs/GnosisChecksumsDatasetFacet"}
    return jsonschema.Draft202012Validator(schema)


def test_events_pair_start_and_complete(events: list[dict[str, Any]]) -> None:
    assert [event["eventType"] for event in events] == ["START", "COMPLETE", "START", "COMPLETE"]
    for start, complete in (events[0:2], events[2:4]):
        assert start["run"]["runId"] == complete["run"]["runId"]
        assert start["job"] == complete["job"]
    assert events[0]["run"]["runId"] != events[2]["run"]["runId"]


def test_events_carry_required_fields(events: list[dict[str, Any]]) -> None:
    for event in events:
        assert event["schemaURL"] == RUN_EVENT_SCHEMA_URL
        assert event["producer"] == PRODUCER
        assert uuid.UUID(event["run"]["runId"])
        assert datetime.fromisoformat(event["eventTime"]).tzinfo is not None
        assert event["job"]["namespace"] == "gnosis"


def test_split_job_reads_version_writes_split_set(
    events: list[dict[str, Any]], registered: dict[str, Any]
) -> None:
    split_run = events[1]

    assert split_run["job"]["name"] == "split/chembl/chembl_27/default"
    assert [(item["namespace"], item["name"]) for item in split_run["inputs"]] == [
        ("s3://veridicabatabase", "datasets/chembl/chembl_27")
    ]
    assert [(item["namespace"], item["name"]) for item in split_run["outputs"]] == [
        ("s3://veridicabatabase", "datasets/chembl/chembl_27/splits/default")
    ]
    version_facet = split_run["inputs"][0]["facets"]["version"]
    assert version_facet["datasetVersion"] == registered["chembl"]["content_hash"]


def test_train_job_reads_split_and_version(events: list[dict[str, Any]]) -> None:
    train_run = events[3]

    assert train_run["job"]["name"] == "train/gnosis-i/v1"
    assert [item["name"] for item in train_run["inputs"]] == [
        "datasets/chembl/chembl_27/splits/default",
        "datasets/bindingdb/bindingdb_2015m10",
    ]
    assert [item["name"] for item in train_run["outputs"]] == ["models/gnosis-i/v1"]


def test_checksum_facet_lists_files(
    events: list[dict[str, Any]], registered: dict[str, Any]
) -> None:
    split_output = events[1]["outputs"][0]["facets"][CHECKSUMS_FACET_NAME]
    version_input = events[1]["inputs"][0]["facets"][CHECKSUMS_FACET_NAME]

    expected_split = registered["chembl"]["splits"]["default"]["files"]
    assert [(item["key"], item["sha256"], item["size"]) for item in split_output["files"]] == [
        (item["key"], item["sha256"], item["size"]) for item in expected_split
    ]
    assert version_input["contentHash"] == registered["chembl"]["content_hash"]
    assert version_input["fileCount"] == 1
    assert version_input["totalBytes"] == registered["chembl"]["total_bytes"]
    assert version_input["files"][0]["uri"].startswith("s3://veridicabatabase/")


def test_checksum_facets_match_their_schema(events: list[dict[str, Any]]) -> None:
    validator = _facet_validator()
    facets = [
        dataset["facets"][CHECKSUMS_FACET_NAME]
        for event in events
        for dataset in [*event["inputs"], *event["outputs"]]
    ]

    assert len(facets) == 10  # split run: 1 input, 1 output; train run: 2 inputs, 1 output
    for facet in facets:
        assert facet["_schemaURL"] == CHECKSUMS_FACET_SCHEMA_URL
        assert facet["_producer"] == PRODUCER
        validator.validate(facet)


def test_facet_schema_rejects_bad_checksum() -> None:
    facet = {
        "_producer": PRODUCER,
        "_schemaURL": CHECKSUMS_FACET_SCHEMA_URL,
        "algorithm": "sha256",
        "files": [{"key": "datasets/s/v/a.csv", "size": 1, "sha256": "not-a-hash"}],
    }

    with pytest.raises(jsonschema.ValidationError):
        _facet_validator().validate(facet)


def test_export_is_deterministic(registry: Registry) -> None:
    tree = lineage_tree(registry, "gnosis-i", "v1")

    assert openlineage_events(tree) == openlineage_events(tree)


def test_event_time_defaults_to_sync_time(events: list[dict[str, Any]]) -> None:
    assert {event["eventTime"] for event in events} == {"2024-05-02T10:15:00+00:00"}


def test_options_set_namespace_and_time(registry: Registry) -> None:
    tree = lineage_tree(registry, "gnosis-i", "v1")
    moment = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)

    events = openlineage_events(tree, namespace="veridica", event_time=moment, producer="urn:x")

    assert {event["job"]["namespace"] for event in events} == {"veridica"}
    assert {event["eventTime"] for event in events} == {"2025-01-02T03:04:05+00:00"}
    assert {event["producer"] for event in events} == {"urn:x"}


def test_missing_dataset_keeps_pinned_version(registry: Registry) -> None:
    events = openlineage_events(lineage_tree(registry, "gnosis-ii", "v1"))

    assert [event["job"]["name"] for event in events] == ["train/gnosis-ii/v1"] * 2
    gdsc = events[1]["inputs"][0]
    assert (gdsc["namespace"], gdsc["name"]) == ("gnosis", "datasets/gdsc/gdsc_v17")
    assert gdsc["facets"]["version"]["datasetVersion"] == "1" * 64
    assert gdsc["facets"][CHECKSUMS_FACET_NAME]["files"] == []


def test_local_store_uses_file_namespace() -> None:
    tree = {
        "model": "m",
        "version": "v1",
        "s3_prefix": "file:///srv/gnosis/store/models/m/v1/",
        "artifacts": [],
        "datasets": [
            {
                "source": "s",
                "version": "v",
                "content_hash": "a" * 64,
                "s3_prefix": "file:///srv/gnosis/store/datasets/s/v/",
                "files": [],
                "split_sets": [],
            }
        ],
    }

    events = openlineage_events(tree, event_time=datetime(2025, 1, 1, tzinfo=UTC))

    dataset = events[0]["inputs"][0]
    assert (dataset["namespace"], dataset["name"]) == ("file", "/srv/gnosis/store/datasets/s/v")
    assert events[0]["outputs"][0]["name"] == "/srv/gnosis/store/models/m/v1"
