"""Lineage trees built from a SecantusDB registry, and their text rendering.

Covers the ok, changed, missing and split_missing states of dataset nodes and the exact text
format. Does not touch the store: checksums come from the registry only.
"""

from typing import Any

import pytest

from gnosis_assets.lineage.graph import (
    LineageNotFoundError,
    dataset_node,
    format_lineage_tree,
    lineage_tree,
)
from gnosis_assets.registry.client import Registry


def test_tree_lists_artifacts(registry: Registry, registered: dict[str, Any]) -> None:
    tree = lineage_tree(registry, "gnosis-i", "v1")

    assert tree["model"] == "gnosis-i"
    assert tree["version"] == "v1"
    expected = {item["key"]: item["sha256"] for item in registered["gnosis-i"]["files"]}
    assert {item["key"]: item["sha256"] for item in tree["artifacts"]} == expected
    assert {item["kind"] for item in tree["artifacts"]} == {
        "model_manifest",
        "eval_report",
        "artifact",
    }


def test_tree_follows_declared_split(registry: Registry, registered: dict[str, Any]) -> None:
    tree = lineage_tree(registry, "gnosis-i", "v1")

    chembl = tree["datasets"][0]
    metadata = registered["chembl"]
    assert (chembl["source"], chembl["version"], chembl["role"]) == ("chembl", "chembl_27", "train")
    assert chembl["status"] == "ok"
    assert chembl["content_hash"] == metadata["content_hash"]
    assert chembl["pinned_content_hash"] == metadata["content_hash"]
    assert [item["sha256"] for item in chembl["files"]] == [
        item["sha256"] for item in metadata["files"]
    ]
    assert len(chembl["split_sets"]) == 1
    split_set = chembl["split_sets"][0]
    assert split_set["name"] == "default"
    assert split_set["strategy"] == "scaffold"
    assert split_set["seed"] == 42
    assert [(item["split"], item["sha256"]) for item in split_set["files"]] == [
        (item["split"], item["sha256"]) for item in metadata["splits"]["default"]["files"]
    ]


def test_tree_marks_republished_version(registry: Registry, registered: dict[str, Any]) -> None:
    tree = lineage_tree(registry, "gnosis-i", "v1")

    bindingdb = tree["datasets"][1]
    assert bindingdb["status"] == "changed"
    assert bindingdb["pinned_content_hash"] == "0" * 64
    assert bindingdb["content_hash"] == registered["bindingdb"]["content_hash"]
    assert bindingdb["split_sets"] == []
    assert len(bindingdb["files"]) == 2


def test_tree_marks_unregistered_version(registry: Registry) -> None:
    tree = lineage_tree(registry, "gnosis-ii", "v1")

    gdsc = tree["datasets"][0]
    assert gdsc["status"] == "missing"
    assert gdsc["content_hash"] is None
    assert gdsc["files"] == []
    assert gdsc["split_sets"] == []


def test_tree_unknown_model_raises(registry: Registry) -> None:
    with pytest.raises(LineageNotFoundError, match="gnosis-x/v1 is not in the registry"):
        lineage_tree(registry, "gnosis-x", "v1")


@pytest.mark.parametrize(
    ("declared_split", "pinned", "expected"),
    [
        ("default", "a" * 64, "ok"),
        (None, "a" * 64, "ok"),
        ("scaffold_v2", "a" * 64, "split_missing"),
        ("scaffold_v2", "b" * 64, "changed"),
        (None, None, "ok"),
    ],
)
def test_dataset_node_status(declared_split: str | None, pinned: str | None, expected: str) -> None:
    document = {
        "content_hash": "a" * 64,
        "files": [{"key": "datasets/s/v/a.csv", "size": 1, "sha256": "c" * 64}],
        "splits": {"default": {"strategy": "hash", "seed": 1, "files": []}},
    }
    declared = {
        "source": "s",
        "version": "v",
        "role": "train",
        "split": declared_split,
        "content_hash": pinned,
    }

    assert dataset_node(declared, document)["status"] == expected


def test_format_renders_exact_tree() -> None:
    tree = {
        "model": "gnosis-i",
        "version": "v1",
        "task": "classification",
        "artifacts": [
            {
                "key": "models/gnosis-i/v1/model.yaml",
                "kind": "model_manifest",
                "size": 28,
                "sha256": "1" * 64,
            },
        ],
        "datasets": [
            {
                "source": "chembl",
                "version": "chembl_27",
                "role": "train",
                "split": "default",
                "status": "ok",
                "pinned_content_hash": "2" * 64,
                "content_hash": "2" * 64,
                "metadata_sha256": "3" * 64,
                "files": [
                    {
                        "key": "datasets/chembl/chembl_27/a.csv",
                        "size": 10,
                        "rows": 2,
                        "sha256": "4" * 64,
                    }
                ],
                "split_sets": [
                    {
                        "name": "default",
                        "strategy": "scaffold",
                        "seed": 42,
                        "files": [
                            {
                                "key": "datasets/chembl/chembl_27/splits/default/train.csv",
                                "split": "train",
                                "rows": 1,
                                "size": 5,
                                "sha256": "5" * 64,
                            },
                        ],
                    }
                ],
            },
            {
                "source": "gdsc",
                "version": "gdsc_v17",
                "role": "evaluation",
                "split": None,
                "status": "missing",
                "pinned_content_hash": "6" * 64,
                "content_hash": None,
                "metadata_sha256": None,
                "files": [],
                "split_sets": [],
            },
        ],
    }

    text = format_lineage_tree(tree)

    assert text == (
        "model gnosis-i/v1  task classification\n"
        "├── artifacts (1)\n"
        f"│   └── model_manifest  models/gnosis-i/v1/model.yaml  28 B  sha256 {'1' * 64}\n"
        "├── dataset chembl/chembl_27  role train  split default  [ok]\n"
        f"│   ├── content hash {'2' * 64}\n"
        f"│   ├── metadata.json sha256 {'3' * 64}\n"
        "│   ├── files (1)\n"
        f"│   │   └── datasets/chembl/chembl_27/a.csv  rows 2  10 B  sha256 {'4' * 64}\n"
        "│   └── split set default  strategy scaffold  seed 42\n"
        "│       └── train  datasets/chembl/chembl_27/splits/default/train.csv  rows 1  5 B  "
        f"sha256 {'5' * 64}\n"
        "└── dataset gdsc/gdsc_v17  role evaluation  [missing]\n"
        "    └── not in the registry: sync this dataset version\n"
    )


def test_format_lists_every_checksum(registry: Registry) -> None:
    tree = lineage_tree(registry, "gnosis-i", "v1")

    text = format_lineage_tree(tree)

    checksums = [item["sha256"] for item in tree["artifacts"]]
    for node in tree["datasets"]:
        checksums += [item["sha256"] for item in node["files"]]
        for split_set in node["split_sets"]:
            checksums += [item["sha256"] for item in split_set["files"]]
    assert len(checksums) == 9
    for checksum in checksums:
        assert checksum in text
    assert "[changed]" in text
    assert f"pinned content hash {'0' * 64}" in text
