"""Realistic registry documents and a filled registry, for tests and the API benchmark.

Documents are built the way the sync builds them: a metadata.json dict with real SHA256s
over small in-memory files, turned into registry documents by `registry/records.py`.
"""

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pymongo

from gnosis_assets.lib.canonical import canonical_json
from gnosis_assets.lib.hashing import content_hash
from gnosis_assets.registry.client import Registry
from gnosis_assets.registry.records import artifact_documents, dataset_document, model_document
from gnosis_assets.sync.report import build_report

STORE_URI = "s3://veridicabatabase"
SYNCED_AT = "2024-05-02T10:15:00.000000Z"
RUN_ID = "3f2b8c1e-9a4d-4c1b-8f00-1a2b3c4d5e6f"

CHEMBL_FILES = {
    "EGFR_compounds.csv": b",molecule_chembl_id,IC50,units,smiles,pIC50\n"
    b"0,CHEMBL63786,0.003,nM,Brc1cccc(Nc2ncnc3cc4ccccc4cc23)c1,11.52\n"
    b"1,CHEMBL35820,0.006,nM,CCOc1cc2ncnc(Nc3cccc(Br)c3)c2cc1OCC,11.22\n",
}
BINDINGDB_FILES = {
    "BindingDB_All_header.txt": b"BindingDB Reactant_set_id\tLigand SMILES\tKi (nM)\n",
    "bindings-drugbank-collapsed.tsv": b"drugbank_id\tuniprot_id\taffinity_nm\n"
    b"DB00619\tP00533\t12.0\nDB01259\tP04626\t3.5\n",
}
SPLIT_CONTENT = {
    "train": b"smiles,pIC50\nBrc1cccc(Nc2ncnc3cc4ccccc4cc23)c1,11.52\n",
    "validation": b"smiles,pIC50\nCCOc1cc2ncnc(Nc3cccc(Br)c3)c2cc1OCC,11.22\n",
    "test": b"smiles,pIC50\nCOc1cc2ncnc(Nc3ccc(F)c(Cl)c3)c2cc1OC,9.1\n",
}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def dataset_metadata(
    source: str,
    version: str,
    files: dict[str, bytes],
    splits: dict[str, dict[str, bytes]] | None = None,
    store_uri: str = STORE_URI,
) -> dict[str, Any]:
    """Build the metadata.json dict of a dataset version, with split sets if given.

    `splits` maps a split set name to its split files (split name -> bytes), stored under
    `splits/<set>/<split>.csv` inside the version prefix.
    """
    prefix = f"datasets/{source}/{version}"
    records = [
        {
            "key": f"{prefix}/{name}",
            "name": name,
            "size": len(data),
            "sha256": sha256(data),
            "content_type": "text/csv" if name.endswith(".csv") else "text/plain",
            "rows": data.count(b"\n") - 1,
            "columns": data.split(b"\n")[0].decode().split(","),
            "s3_uri": f"{store_uri}/{prefix}/{name}",
            "source_volume": "veridica-datasets",
            "source_path": f"{source}/{version}/{name}",
        }
        for name, data in sorted(files.items())
    ]
    split_sets = {}
    for set_name, split_files in sorted((splits or {}).items()):
        split_sets[set_name] = {
            "strategy": "scaffold",
            "seed": 42,
            "key_column": "smiles",
            "files": [
                {
                    "key": f"{prefix}/splits/{set_name}/{split}.csv",
                    "split": split,
                    "rows": data.count(b"\n") - 1,
                    "sha256": sha256(data),
                    "size": len(data),
                }
                for split, data in split_files.items()
            ],
        }
    return {
        "format_version": 1,
        "source": source,
        "version": version,
        "prefix": prefix,
        "s3_prefix": f"{store_uri}/{prefix}/",
        "content_hash": content_hash((item["key"], item["sha256"]) for item in records),
        "file_count": len(records),
        "total_bytes": sum(item["size"] for item in records),
        "files": records,
        "source_volume": "veridica-datasets",
        "synced_at": SYNCED_AT,
        "dagster_run_id": RUN_ID,
        "product": {"name": "gnosis-assets", "version": "0.1.0"},
        "previous_content_hashes": [],
        "splits": split_sets,
    }


def registry_dataset(metadata: dict[str, Any]) -> dict[str, Any]:
    """Build the registry document of a metadata.json dict, as the sync would."""
    data = canonical_json(metadata)
    uri = f"{STORE_URI}/{metadata['prefix']}/metadata.json"
    return dataset_document(metadata, sha256(data), uri)


def model_record(
    model: str, version: str, datasets: list[dict[str, Any]], files: dict[str, bytes]
) -> dict[str, Any]:
    """Build a model version record with pinned datasets and files, as the model sync does."""
    prefix = f"models/{model}/{version}"
    records = []
    for name, data in sorted(files.items()):
        kind = "model_manifest" if name == "model.yaml" else "artifact"
        if name.startswith("reports/"):
            kind = "eval_report"
        records.append(
            {
                "key": f"{prefix}/{name}",
                "name": name,
                "size": len(data),
                "sha256": sha256(data),
                "content_type": "application/json" if name.endswith(".json") else "text/yaml",
                "s3_uri": f"{STORE_URI}/{prefix}/{name}",
                "source_path": f"{model}/{version}/{name}",
                "kind": kind,
            }
        )
    return {
        "model": model,
        "version": version,
        "description": f"{model} {version} test model",
        "task": "binding-activity-classification",
        "prefix": prefix,
        "s3_prefix": f"{STORE_URI}/{prefix}/",
        "datasets": datasets,
        "files": records,
        "synced_at": SYNCED_AT,
        "dagster_run_id": RUN_ID,
        "product": {"name": "gnosis-assets", "version": "0.1.0"},
    }


def sync_report(started_at: datetime, datasets: list[dict[str, Any]]) -> dict[str, Any]:
    """Build a sync report over dataset metadata dicts, every file counted as uploaded."""
    summaries = [
        {
            "source": item["source"],
            "version": item["version"],
            "status": "ok",
            "outcome": "published",
            "error": None,
            "content_hash": item["content_hash"],
            "file_count": item["file_count"],
            "uploaded_bytes": item["total_bytes"],
            "read_bytes": item["total_bytes"],
            "files": [
                {"key": f["key"], "action": "uploaded", "sha256": f["sha256"], "size": f["size"]}
                for f in item["files"]
            ],
        }
        for item in datasets
    ]
    return build_report(
        started_at=started_at,
        ended_at=started_at + timedelta(seconds=42),
        datasets=summaries,
        models=[],
        splits=[],
        run_ids=[RUN_ID],
        store_description=STORE_URI,
        store_objects=sum(item["file_count"] + 1 for item in datasets),
    )


@contextmanager
def open_test_registry(uri: str, database: str) -> Iterator[Registry]:
    client: pymongo.MongoClient = pymongo.MongoClient(uri, tz_aware=True)
    try:
        registry = Registry(client[database])
        registry.ensure_indexes()
        yield registry
    finally:
        client.close()


def fill_registry(registry: Registry) -> dict[str, Any]:
    """Register three dataset versions, two model versions and three sync reports.

    - chembl/chembl_27 has a `default` split set; gnosis-i/v1 trains on that split.
    - bindingdb/bindingdb_2015m10 was republished after gnosis-i/v1 pinned it.
    - gnosis-ii/v1 declares gdsc/gdsc_v17, which is not registered.
    Returns the metadata dicts and records by name, for assertions.
    """
    chembl = dataset_metadata("chembl", "chembl_27", CHEMBL_FILES, {"default": SPLIT_CONTENT})
    bindingdb = dataset_metadata("bindingdb", "bindingdb_2015m10", BINDINGDB_FILES)
    chembl_28 = dataset_metadata("chembl", "chembl_28", {"EGFR_compounds.csv": b"smiles\nC\n"})
    for metadata in (chembl, bindingdb, chembl_28):
        registry.upsert_dataset(registry_dataset(metadata))

    manifest = b"model: gnosis-i\nversion: v1\n"
    report = json.dumps({"roc_auc": 0.91, "dataset": "chembl/chembl_27"}).encode()
    gnosis_i = model_record(
        "gnosis-i",
        "v1",
        [
            {
                "source": "chembl",
                "version": "chembl_27",
                "role": "train",
                "split": "default",
                "content_hash": chembl["content_hash"],
            },
            {
                "source": "bindingdb",
                "version": "bindingdb_2015m10",
                "role": "evaluation",
                "split": None,
                "content_hash": "0" * 64,  # pinned before the version was republished
            },
        ],
        {"model.yaml": manifest, "reports/egfr_logreg_morgan.json": report, "weights.bin": b"\0"},
    )
    gnosis_ii = model_record(
        "gnosis-ii",
        "v1",
        [
            {
                "source": "gdsc",
                "version": "gdsc_v17",
                "role": "train",
                "split": "default",
                "content_hash": "1" * 64,
            }
        ],
        {"model.yaml": b"model: gnosis-ii\nversion: v1\n", "reports/val_scores.json": b"{}"},
    )
    for record in (gnosis_i, gnosis_ii):
        registry.upsert_model(model_document(record))
        for artifact in artifact_documents(record):
            registry.upsert_artifact(artifact)

    first = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
    reports = [
        sync_report(first, [chembl]),
        sync_report(first + timedelta(days=1), [chembl, bindingdb]),
        sync_report(first + timedelta(days=2), [chembl_28]),
    ]
    for item in reports:
        registry.insert_sync_report(item)
    return {
        "chembl": chembl,
        "bindingdb": bindingdb,
        "chembl_28": chembl_28,
        "gnosis-i": gnosis_i,
        "gnosis-ii": gnosis_ii,
        "reports": reports,
    }
