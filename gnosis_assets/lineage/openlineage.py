"""Export a lineage tree as OpenLineage RunEvents (spec 2-0-2), built with openlineage-python.

Two kinds of job appear:
- `split/<source>/<version>/<split>`: reads a dataset version, writes one of its split sets.
  One run per split set that the tree contains.
- `train/<model>/<version>`: reads the split sets the model version declares (or the whole
  dataset version when it declares none) and writes the model version's artifacts.

Each run gets a START and a COMPLETE event, as the spec requires. The standard facets carry
no file checksums, so every dataset also carries the custom `gnosis_checksums` facet, whose
JSON schema is CHECKSUMS_FACET_SCHEMA. Run ids are derived from the job name, the content
hashes and the event time, so exporting the same tree twice yields the same events.
"""

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

import attr
from openlineage.client.event_v2 import (
    Dataset,
    InputDataset,
    Job,
    OutputDataset,
    Run,
    RunEvent,
    RunState,
)
from openlineage.client.facet_v2 import DatasetFacet, dataset_version_dataset
from openlineage.client.serde import Serde
from openlineage.client.uuid import generate_static_uuid

from gnosis_assets import __version__
from gnosis_assets.lib.hashing import content_hash

PRODUCER = f"urn:gnosis-assets:{__version__}"
DEFAULT_NAMESPACE = "gnosis"
CHECKSUMS_FACET_NAME = "gnosis_checksums"
# NOTE: the schema below is not published at this URL yet; consumers that fetch facet schemas
# will not find it. The `.invalid` domain makes that explicit until a real location exists.
CHECKSUMS_FACET_SCHEMA_URL = (
    "https://gnosis-assets.invalid/spec/facets/1-0-0/GnosisChecksumsDatasetFacet.json"
    "#/$defs/GnosisChecksumsDatasetFacet"
)

CHECKSUMS_FACET_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": CHECKSUMS_FACET_SCHEMA_URL.split("#")[0],
    "$defs": {
        "GnosisChecksumsDatasetFacet": {
            "type": "object",
            "required": ["_producer", "_schemaURL", "algorithm", "files"],
            "properties": {
                "_producer": {"type": "string", "format": "uri"},
                "_schemaURL": {"type": "string", "format": "uri"},
                "algorithm": {"const": "sha256"},
                "contentHash": {
                    "type": "string",
                    "description": "SHA256 over sorted 'key<TAB>sha256<LF>' lines of the files",
                },
                "metadataSha256": {"type": "string"},
                "fileCount": {"type": "integer", "minimum": 0},
                "totalBytes": {"type": "integer", "minimum": 0},
                "files": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["key", "size", "sha256"],
                        "properties": {
                            "key": {"type": "string"},
                            "size": {"type": "integer", "minimum": 0},
                            "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                            "uri": {"type": "string"},
                        },
                    },
                },
            },
        }
    },
}


@attr.define
class ChecksumsDatasetFacet(DatasetFacet):
    """The SHA256 and size of every file of a dataset, in the dataset's own key order."""

    algorithm: str
    files: list[dict[str, Any]]
    contentHash: str | None = attr.field(default=None)
    metadataSha256: str | None = attr.field(default=None)
    fileCount: int | None = attr.field(default=None)
    totalBytes: int | None = attr.field(default=None)

    @staticmethod
    def _get_schema() -> str:
        return CHECKSUMS_FACET_SCHEMA_URL


def openlineage_events(
    tree: dict[str, Any],
    *,
    namespace: str = DEFAULT_NAMESPACE,
    producer: str = PRODUCER,
    event_time: datetime | None = None,
) -> list[dict[str, Any]]:
    """Build the START and COMPLETE RunEvents of a lineage tree, as JSON-ready dicts.

    `namespace` is the job namespace. Dataset namespaces follow the OpenLineage naming rules
    for their store (`s3://bucket`, or `file` for a local folder). `event_time` defaults to
    the model version's `synced_at`, or to now when that is absent or unreadable.
    """
    moment = event_time or _parse_time(tree.get("synced_at")) or datetime.now(tz=UTC)
    events: list[RunEvent] = []

    model_inputs = []
    for node in tree["datasets"]:
        version_dataset = _dataset_version(node, producer)
        if not node["split_sets"]:
            model_inputs.append(_as_input(version_dataset))
            continue
        for split_set in node["split_sets"]:
            split_dataset = _split_set_dataset(node, split_set, producer)
            job_name = f"split/{node['source']}/{node['version']}/{split_set['name']}"
            events.extend(
                _run_events(
                    namespace,
                    job_name,
                    [_as_input(version_dataset)],
                    [_as_output(split_dataset)],
                    moment,
                    producer,
                )
            )
            model_inputs.append(_as_input(split_dataset))

    model_output = _artifacts_dataset(tree, producer)
    events.extend(
        _run_events(
            namespace,
            f"train/{tree['model']}/{tree['version']}",
            model_inputs,
            [_as_output(model_output)],
            moment,
            producer,
        )
    )
    return [Serde.to_dict(event) for event in events]


def _run_events(
    namespace: str,
    job_name: str,
    inputs: list[InputDataset],
    outputs: list[OutputDataset],
    moment: datetime,
    producer: str,
) -> list[RunEvent]:
    identity = "\n".join(
        [job_name]
        + [f"{item.namespace}/{item.name}@{_version_of(item)}" for item in [*inputs, *outputs]]
    )
    run = Run(runId=str(generate_static_uuid(moment, identity.encode("utf-8"))))
    job = Job(namespace=namespace, name=job_name)
    time_text = moment.astimezone(UTC).isoformat()
    return [
        RunEvent(
            eventType=state,
            eventTime=time_text,
            run=run,
            job=job,
            inputs=inputs,
            outputs=outputs,
            producer=producer,
        )
        for state in (RunState.START, RunState.COMPLETE)
    ]


def _version_of(dataset: Dataset) -> str:
    facet = (dataset.facets or {}).get("version")
    return getattr(facet, "datasetVersion", "") or ""


def _dataset_version(node: dict[str, Any], producer: str) -> dict[str, Any]:
    namespace, name = _location(
        node.get("s3_prefix"), f"datasets/{node['source']}/{node['version']}"
    )
    facets: dict[str, DatasetFacet] = {
        CHECKSUMS_FACET_NAME: ChecksumsDatasetFacet(
            algorithm="sha256",
            files=[_checksum_entry(item) for item in node["files"]],
            contentHash=node.get("content_hash") or node.get("pinned_content_hash"),
            metadataSha256=node.get("metadata_sha256"),
            fileCount=len(node["files"]),
            totalBytes=sum(item["size"] for item in node["files"]),
            producer=producer,
        )
    }
    version = node.get("content_hash") or node.get("pinned_content_hash")
    if version:
        facets["version"] = dataset_version_dataset.DatasetVersionDatasetFacet(
            datasetVersion=version, producer=producer
        )
    return {"namespace": namespace, "name": name, "facets": facets}


def _split_set_dataset(
    node: dict[str, Any], split_set: dict[str, Any], producer: str
) -> dict[str, Any]:
    namespace, parent_name = _location(
        node.get("s3_prefix"), f"datasets/{node['source']}/{node['version']}"
    )
    files = split_set["files"]
    # The split files' own hash is their identity: the same seed and input give the same bytes.
    split_hash = _content_hash(files)
    facets: dict[str, DatasetFacet] = {
        CHECKSUMS_FACET_NAME: ChecksumsDatasetFacet(
            algorithm="sha256",
            files=[_checksum_entry(item) for item in files],
            contentHash=split_hash,
            fileCount=len(files),
            totalBytes=sum(item["size"] for item in files),
            producer=producer,
        ),
        "version": dataset_version_dataset.DatasetVersionDatasetFacet(
            datasetVersion=split_hash, producer=producer
        ),
    }
    return {
        "namespace": namespace,
        "name": f"{parent_name}/splits/{split_set['name']}",
        "facets": facets,
    }


def _artifacts_dataset(tree: dict[str, Any], producer: str) -> dict[str, Any]:
    namespace, name = _location(tree.get("s3_prefix"), f"models/{tree['model']}/{tree['version']}")
    artifacts = tree["artifacts"]
    artifacts_hash = _content_hash(artifacts)
    facets: dict[str, DatasetFacet] = {
        CHECKSUMS_FACET_NAME: ChecksumsDatasetFacet(
            algorithm="sha256",
            files=[_checksum_entry(item) for item in artifacts],
            contentHash=artifacts_hash,
            fileCount=len(artifacts),
            totalBytes=sum(item["size"] for item in artifacts),
            producer=producer,
        ),
        "version": dataset_version_dataset.DatasetVersionDatasetFacet(
            datasetVersion=artifacts_hash, producer=producer
        ),
    }
    return {"namespace": namespace, "name": name, "facets": facets}


def _content_hash(files: list[dict[str, Any]]) -> str:
    return content_hash((item["key"], item["sha256"]) for item in files)


def _checksum_entry(item: dict[str, Any]) -> dict[str, Any]:
    entry = {"key": item["key"], "size": item["size"], "sha256": item["sha256"]}
    if item.get("s3_uri"):
        entry["uri"] = item["s3_uri"]
    return entry


def _as_input(dataset: dict[str, Any]) -> InputDataset:
    return InputDataset(
        namespace=dataset["namespace"], name=dataset["name"], facets=dataset["facets"]
    )


def _as_output(dataset: dict[str, Any]) -> OutputDataset:
    return OutputDataset(
        namespace=dataset["namespace"], name=dataset["name"], facets=dataset["facets"]
    )


def _location(prefix_uri: str | None, fallback_name: str) -> tuple[str, str]:
    """Split a store prefix URI into an OpenLineage dataset namespace and name."""
    if not prefix_uri:
        return DEFAULT_NAMESPACE, fallback_name
    parsed = urlparse(prefix_uri)
    path = parsed.path.strip("/")
    if parsed.scheme == "s3":
        return f"s3://{parsed.netloc}", path
    if parsed.scheme == "file":
        return "file", "/" + path
    return DEFAULT_NAMESPACE, fallback_name


def _parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
