"""HTTP API over a real uvicorn server and a SecantusDB registry filled like a sync fills it.

Covers every endpoint's body, 404 and 422 cases, the OpenAPI document, the 503 response when
the registry is unreachable, and the runbook's curl | jq commands. Does not cover MongoDB
servers other than SecantusDB.
"""

import shutil
import subprocess
import time

import httpx
import pytest

from gnosis_assets.settings import Settings

from .conftest import RunningApi, free_port, start_server, stop_server

UNKNOWN_PATHS = [
    ("/api/registry/datasets/chembl/chembl_99", "dataset_version", "chembl/chembl_99"),
    ("/api/registry/datasets/nosuch/v1", "dataset_version", "nosuch/v1"),
    ("/api/registry/models/gnosis-i/v9", "model_version", "gnosis-i/v9"),
    ("/api/registry/models/nosuch/v1/lineage", "model_version", "nosuch/v1"),
    ("/api/registry/models/nosuch/v1/lineage/openlineage", "model_version", "nosuch/v1"),
    ("/api/registry/sync-reports/20990101_000000", "sync_report", "20990101_000000"),
]

BAD_PARAMETERS = [
    "/api/registry/sync-reports?limit=0",
    "/api/registry/sync-reports?limit=101",
    "/api/registry/sync-reports?limit=ten",
    "/api/registry/sync-reports?offset=-1",
    "/api/registry/sync-reports?offset=1000001",
    "/api/registry/datasets/-chembl/chembl_27",
    "/api/registry/datasets/chembl/chembl%2027",
    "/api/registry/models/gnosis-i/v1%3B",
    "/api/registry/datasets/chembl/" + "v" * 129,
]


def test_stats_counts_registry(client: httpx.Client) -> None:
    response = client.get("/api/registry/stats")

    assert response.status_code == 200
    stats = response.json()
    assert stats["datasets_count"] == 3
    assert stats["dataset_sources_count"] == 2
    assert stats["models_count"] == 2
    assert stats["model_names_count"] == 2
    assert stats["artifacts_count"] == 5
    assert stats["last_sync"]["report_id"] == "20240503_090000"
    assert stats["s3_objects"] == 2


def test_stats_total_size_sums_versions(client: httpx.Client, api: RunningApi) -> None:
    expected = sum(
        api.registered[name]["total_bytes"] for name in ("chembl", "bindingdb", "chembl_28")
    )

    stats = client.get("/api/registry/stats").json()

    assert stats["total_dataset_bytes"] == expected
    assert stats["total_dataset_size_mb"] == round(expected / (1024 * 1024), 3)


def test_summary_lists_sources_and_versions(client: httpx.Client, api: RunningApi) -> None:
    response = client.get("/api/registry/discover/summary")

    assert response.status_code == 200
    datasets = response.json()["datasets"]
    assert [item["source"] for item in datasets] == ["bindingdb", "chembl"]
    chembl = datasets[1]
    assert chembl["versions_count"] == 2
    assert [item["version"] for item in chembl["versions"]] == ["chembl_27", "chembl_28"]
    chembl_27 = chembl["versions"][0]
    metadata = api.registered["chembl"]
    assert chembl_27["content_hash"] == metadata["content_hash"]
    assert chembl_27["file_count"] == metadata["file_count"]
    assert chembl_27["total_bytes"] == metadata["total_bytes"]
    assert chembl_27["s3_prefix"] == "s3://veridicabatabase/datasets/chembl/chembl_27/"


def test_summary_summarizes_split_sets(client: httpx.Client) -> None:
    datasets = client.get("/api/registry/discover/summary").json()["datasets"]

    chembl_27 = datasets[1]["versions"][0]
    assert chembl_27["split_sets"] == [
        {"name": "default", "strategy": "scaffold", "seed": 42, "file_count": 3, "rows": 3}
    ]
    assert datasets[0]["versions"][0]["split_sets"] == []


def test_summary_has_no_file_lists(client: httpx.Client) -> None:
    body = client.get("/api/registry/discover/summary").text

    assert '"files"' not in body
    assert "sha256" not in body


def test_summary_lists_models_and_lineage(client: httpx.Client, api: RunningApi) -> None:
    summary = client.get("/api/registry/discover/summary").json()

    assert [item["model"] for item in summary["models"]] == ["gnosis-i", "gnosis-ii"]
    gnosis_i = summary["models"][0]["versions"][0]
    assert gnosis_i["artifacts_count"] == 3
    assert [item["source"] for item in gnosis_i["datasets"]] == ["chembl", "bindingdb"]
    edges = {(edge["model"], edge["source"]): edge for edge in summary["lineage"]}
    assert len(summary["lineage"]) == 3
    train = edges[("gnosis-i", "chembl")]
    assert train["role"] == "train"
    assert train["split"] == "default"
    assert train["content_hash"] == api.registered["chembl"]["content_hash"]
    assert train["dataset_registered"] is True
    assert train["content_hash_matches"] is True
    assert edges[("gnosis-i", "bindingdb")]["content_hash_matches"] is False
    assert edges[("gnosis-ii", "gdsc")]["dataset_registered"] is False


def test_dataset_detail_lists_files(client: httpx.Client, api: RunningApi) -> None:
    response = client.get("/api/registry/datasets/chembl/chembl_27")

    assert response.status_code == 200
    detail = response.json()
    metadata = api.registered["chembl"]
    assert detail["content_hash"] == metadata["content_hash"]
    assert len(detail["metadata_sha256"]) == 64
    assert detail["metadata_uri"].endswith("datasets/chembl/chembl_27/metadata.json")
    assert [item["key"] for item in detail["files"]] == [item["key"] for item in metadata["files"]]
    first = detail["files"][0]
    assert first["sha256"] == metadata["files"][0]["sha256"]
    assert first["size"] == metadata["files"][0]["size"]
    assert first["s3_uri"] == ("s3://veridicabatabase/datasets/chembl/chembl_27/EGFR_compounds.csv")


def test_dataset_detail_includes_split_manifest(client: httpx.Client, api: RunningApi) -> None:
    detail = client.get("/api/registry/datasets/chembl/chembl_27").json()

    split_set = detail["splits"]["default"]
    assert split_set["strategy"] == "scaffold"
    assert split_set["seed"] == 42
    assert split_set["key_column"] == "smiles"
    expected = api.registered["chembl"]["splits"]["default"]["files"]
    assert [item["sha256"] for item in split_set["files"]] == [item["sha256"] for item in expected]
    assert [item["split"] for item in split_set["files"]] == ["train", "validation", "test"]


def test_model_detail_groups_artifacts(client: httpx.Client, api: RunningApi) -> None:
    response = client.get("/api/registry/models/gnosis-i/v1")

    assert response.status_code == 200
    detail = response.json()
    assert detail["manifest"]["key"] == "models/gnosis-i/v1/model.yaml"
    assert [item["key"] for item in detail["reports"]] == [
        "models/gnosis-i/v1/reports/egfr_logreg_morgan.json"
    ]
    assert [item["key"] for item in detail["artifacts"]] == ["models/gnosis-i/v1/weights.bin"]
    record_files = {item["key"]: item["sha256"] for item in api.registered["gnosis-i"]["files"]}
    assert detail["reports"][0]["sha256"] == record_files[detail["reports"][0]["key"]]
    assert [(item["source"], item["role"]) for item in detail["datasets"]] == [
        ("chembl", "train"),
        ("bindingdb", "evaluation"),
    ]


def test_lineage_reaches_split_files(client: httpx.Client, api: RunningApi) -> None:
    response = client.get("/api/registry/models/gnosis-i/v1/lineage")

    assert response.status_code == 200
    tree = response.json()
    chembl, bindingdb = tree["datasets"]
    assert chembl["status"] == "ok"
    assert bindingdb["status"] == "changed"
    expected = api.registered["chembl"]["splits"]["default"]["files"]
    assert [item["sha256"] for item in chembl["split_sets"][0]["files"]] == [
        item["sha256"] for item in expected
    ]
    assert chembl["files"][0]["sha256"] == api.registered["chembl"]["files"][0]["sha256"]
    assert len(tree["artifacts"]) == 3


def test_lineage_marks_missing_dataset(client: httpx.Client) -> None:
    tree = client.get("/api/registry/models/gnosis-ii/v1/lineage").json()

    assert tree["datasets"][0]["status"] == "missing"
    assert tree["datasets"][0]["files"] == []


def test_openlineage_export_has_checksums(client: httpx.Client) -> None:
    response = client.get("/api/registry/models/gnosis-i/v1/lineage/openlineage")

    assert response.status_code == 200
    events = response.json()
    assert [event["eventType"] for event in events] == ["START", "COMPLETE"] * 2
    assert events[-1]["job"]["name"] == "train/gnosis-i/v1"
    facet = events[-1]["inputs"][0]["facets"]["gnosis_checksums"]
    assert facet["algorithm"] == "sha256"
    assert facet["fileCount"] == 3


def test_sync_reports_latest_first(client: httpx.Client) -> None:
    response = client.get("/api/registry/sync-reports")

    assert response.status_code == 200
    page = response.json()
    assert page["total"] == 3
    assert page["offset"] == 0
    assert page["limit"] == 20
    assert [item["report_id"] for item in page["items"]] == [
        "20240503_090000",
        "20240502_090000",
        "20240501_090000",
    ]
    assert page["items"][1]["totals"]["datasets"] == 2


def test_sync_reports_paginate(client: httpx.Client) -> None:
    page = client.get("/api/registry/sync-reports", params={"offset": 1, "limit": 1}).json()

    assert page["total"] == 3
    assert [item["report_id"] for item in page["items"]] == ["20240502_090000"]
    beyond = client.get("/api/registry/sync-reports", params={"offset": 10}).json()
    assert beyond["items"] == []


def test_sync_report_page_omits_file_lists(client: httpx.Client) -> None:
    page = client.get("/api/registry/sync-reports").json()

    for item in page["items"]:
        assert all("files" not in entry for entry in item["datasets"])
        assert item["datasets"][0]["content_hash"]


def test_sync_report_detail_lists_files(client: httpx.Client, api: RunningApi) -> None:
    response = client.get("/api/registry/sync-reports/20240502_090000")

    assert response.status_code == 200
    report = response.json()
    assert [entry["source"] for entry in report["datasets"]] == ["chembl", "bindingdb"]
    files = report["datasets"][0]["files"]
    assert [item["key"] for item in files] == [
        item["key"] for item in api.registered["chembl"]["files"]
    ]


@pytest.mark.parametrize(("path", "resource", "name"), UNKNOWN_PATHS)
def test_unknown_name_returns_404(
    client: httpx.Client, path: str, resource: str, name: str
) -> None:
    response = client.get(path)

    assert response.status_code == 404
    body = response.json()
    assert body["resource"] == resource
    assert body["name"] == name
    assert name in body["detail"]


@pytest.mark.parametrize("path", BAD_PARAMETERS)
def test_bad_parameter_returns_422(client: httpx.Client, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 422
    assert response.json()["detail"][0]["type"]


def test_openapi_declares_paths(client: httpx.Client) -> None:
    document = client.get("/openapi.json").json()

    assert set(document["paths"]) == {
        "/api/health",
        "/api/registry/stats",
        "/api/registry/discover/summary",
        "/api/registry/datasets/{source}/{version}",
        "/api/registry/models/{model}/{version}",
        "/api/registry/models/{model}/{version}/lineage",
        "/api/registry/models/{model}/{version}/lineage/openlineage",
        "/api/registry/sync-reports",
        "/api/registry/sync-reports/{report_id}",
    }
    assert all(set(operations) == {"get"} for operations in document["paths"].values())


@pytest.mark.parametrize(
    ("path", "schema"),
    [
        ("/api/registry/stats", "RegistryStats"),
        ("/api/registry/discover/summary", "DiscoverSummary"),
        ("/api/registry/datasets/{source}/{version}", "DatasetVersionDetail"),
        ("/api/registry/models/{model}/{version}", "ModelVersionDetail"),
        ("/api/registry/models/{model}/{version}/lineage", "LineageTree"),
        ("/api/registry/sync-reports", "SyncReportPage"),
        ("/api/registry/sync-reports/{report_id}", "SyncReport"),
    ],
)
def test_openapi_declares_response_schema(client: httpx.Client, path: str, schema: str) -> None:
    document = client.get("/openapi.json").json()

    responses = document["paths"][path]["get"]["responses"]
    declared = responses["200"]["content"]["application/json"]["schema"]
    assert declared == {"$ref": f"#/components/schemas/{schema}"}
    assert schema in document["components"]["schemas"]
    assert "503" in responses


def test_openapi_declares_404_body(client: httpx.Client) -> None:
    document = client.get("/openapi.json").json()

    responses = document["paths"]["/api/registry/datasets/{source}/{version}"]["get"]["responses"]
    assert responses["404"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorResponse"
    }
    assert "422" in responses


def test_unreachable_registry_returns_503(tmp_path) -> None:
    closed_port = free_port()  # nothing listens there once the probe socket is closed
    settings = Settings.from_env(
        {"GNOSIS_HOME": str(tmp_path), "MONGODB_URI": f"mongodb://127.0.0.1:{closed_port}/"}
    )
    port = free_port()
    server, thread = start_server(settings, port)
    try:
        started = time.monotonic()
        response = httpx.get(f"http://127.0.0.1:{port}/api/registry/stats", timeout=30)
        elapsed = time.monotonic() - started
    finally:
        stop_server(server, thread)

    assert response.status_code == 503
    assert "MONGODB_URI" in response.json()["detail"]
    assert str(closed_port) not in response.json()["detail"]
    assert elapsed < 15


@pytest.mark.skipif(
    shutil.which("curl") is None or shutil.which("jq") is None,
    reason="curl and jq are needed to run the runbook commands",
)
@pytest.mark.parametrize(
    ("path", "jq_filter", "expected"),
    [
        ("/api/registry/stats", ".", '"datasets_count": 3'),
        ("/api/registry/discover/summary", ".datasets", '"source": "bindingdb"'),
    ],
)
def test_runbook_commands_work_on_localhost(
    api: RunningApi, path: str, jq_filter: str, expected: str
) -> None:
    # The runbook uses localhost, which may resolve to ::1 first; curl then falls back to
    # 127.0.0.1, where the server listens.
    command = f"curl -s \"http://localhost:{api.port}{path}\" | jq '{jq_filter}'"

    result = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True, timeout=30
    )

    assert result.returncode == 0, result.stderr
    assert expected in result.stdout
