"""Snapshot of the asset graph: keys, groups, dependencies with their partition mappings,
checks per asset and partitions-definition names.

The snapshot in `snapshots/asset_graph.json` is checked in, so a lineage change shows up as a
diff in review. Set GNOSIS_UPDATE_SNAPSHOTS=1 to rewrite it after an intended change. The graph
built from the catalog and the graph of the code location that `workspace.yaml` loads must both
match the snapshot. The Pipes-backed graph (GNOSIS_EXECUTION=subprocess or modal) must keep its
keys, groups, partitions and dependencies. Nothing is materialized, and no store, registry or
instance is touched.
"""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from dagster import Definitions, DynamicPartitionsDefinition, PartitionsDefinition

from gnosis_assets.defs.deployment import build_resources
from gnosis_assets.defs.graph import build_asset_graph
from gnosis_assets.remote.assets import pipes_resources, remote_graph
from gnosis_assets.sync.catalog import load_catalog

if TYPE_CHECKING:
    # Dagster 1.13 exports no public name for the type that resolve_asset_graph returns.
    from dagster._core.definitions.assets.graph.base_asset_graph import BaseAssetGraph

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT_PATH = Path(__file__).parent / "snapshots" / "asset_graph.json"
UPDATE_VARIABLE = "GNOSIS_UPDATE_SNAPSHOTS"

# The model -> dataset lineage that the catalog declares, stated here a second time so that a
# regenerated snapshot cannot silently drop it.
MODEL_DEPENDENCIES = {
    "models/gnosis-i/eval_reports": [
        "datasets/bindingdb",
        "datasets/chembl",
        "splits/bindingdb",
        "splits/chembl",
    ],
    "models/gnosis-ii/eval_reports": ["datasets/gdsc", "splits/gdsc"],
}


def partitions_label(partitions_def: PartitionsDefinition | None) -> str | None:
    """Return `dynamic:<name>` for a dynamic partitions definition, else its type and text."""
    if partitions_def is None:
        return None
    if isinstance(partitions_def, DynamicPartitionsDefinition):
        return f"dynamic:{partitions_def.name}"
    return f"{type(partitions_def).__name__}:{partitions_def}"


def describe_graph(asset_graph: BaseAssetGraph) -> dict[str, Any]:
    """Describe each asset as plain, sorted data, keyed by the asset key's user string."""
    assets: dict[str, Any] = {}
    for key in asset_graph.get_all_asset_keys():
        node = asset_graph.get(key)
        deps = {
            parent.to_user_string(): type(asset_graph.get_partition_mapping(key, parent)).__name__
            for parent in node.parent_keys
        }
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "partitions": partitions_label(node.partitions_def),
            "deps": dict(sorted(deps.items())),
            "checks": sorted(check.name for check in node.check_keys),
        }
    return {"assets": dict(sorted(assets.items()))}


def render(description: dict[str, Any]) -> str:
    return json.dumps(description, indent=2, sort_keys=True) + "\n"


def catalog_graph(execution: str) -> BaseAssetGraph:
    """Resolve the catalog's graph the way definitions.py builds it for `execution`."""
    catalog = load_catalog()
    graph = build_asset_graph(catalog)
    if execution != "in_process":
        graph = remote_graph(graph, catalog, execution)
    definitions = Definitions(
        assets=graph.all_assets,
        asset_checks=graph.checks,
        resources={**build_resources(), **pipes_resources()},
    )
    return definitions.resolve_asset_graph()


def code_location_graph() -> BaseAssetGraph:
    from gnosis_assets import definitions

    # definitions.py reads GNOSIS_EXECUTION once, when it is first imported.
    if definitions.execution != "in_process":
        pytest.skip(f"the code location was loaded with GNOSIS_EXECUTION={definitions.execution}")
    return definitions.defs.resolve_asset_graph()


def read_snapshot() -> str:
    return SNAPSHOT_PATH.read_text(encoding="utf-8") if SNAPSHOT_PATH.exists() else ""


def without_checks(description: dict[str, Any]) -> dict[str, Any]:
    return {
        key: {name: value for name, value in node.items() if name != "checks"}
        for key, node in description["assets"].items()
    }


@pytest.fixture(scope="module")
def described() -> dict[str, Any]:
    return describe_graph(code_location_graph())


@pytest.mark.parametrize("source", ["in_process", "code_location"])
def test_graph_matches_snapshot(source: str) -> None:
    asset_graph = code_location_graph() if source == "code_location" else catalog_graph(source)
    actual = render(describe_graph(asset_graph))

    if os.environ.get(UPDATE_VARIABLE) == "1":
        SNAPSHOT_PATH.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT_PATH.write_text(actual, encoding="utf-8")
        pytest.skip(f"{UPDATE_VARIABLE}=1: rewrote {SNAPSHOT_PATH.name}; review its diff")

    expected = read_snapshot()
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                actual.splitlines(keepends=True),
                fromfile=f"{SNAPSHOT_PATH.name} (checked in)",
                tofile=f"{SNAPSHOT_PATH.name} ({source} graph)",
            )
        )
        test_file = Path(__file__).relative_to(REPOSITORY_ROOT)
        pytest.fail(
            f"The {source} asset graph differs from {SNAPSHOT_PATH}:\n{diff}\n"
            f"If the change is intended, regenerate the snapshot from the repository root with\n"
            f"    {UPDATE_VARIABLE}=1 python -m pytest {test_file}\n"
            f"and commit the new file with the change.",
            pytrace=False,
        )


def test_pipes_graph_keeps_lineage() -> None:
    # With GNOSIS_EXECUTION=subprocess or modal the Pipes assets add checks of their own, but
    # keys, groups, partitions and dependencies must stay those of the in-process graph.
    expected = json.loads(read_snapshot())
    actual = describe_graph(catalog_graph("subprocess"))

    assert without_checks(actual) == without_checks(expected)
    for key, node in expected["assets"].items():
        missing = set(node["checks"]) - set(actual["assets"][key]["checks"])
        assert not missing, f"{key} lost checks {sorted(missing)} in the Pipes graph"


@pytest.mark.parametrize(("model_asset", "expected"), sorted(MODEL_DEPENDENCIES.items()))
def test_model_depends_on_datasets(
    described: dict[str, Any], model_asset: str, expected: list[str]
) -> None:
    node = described["assets"][model_asset]

    assert sorted(node["deps"]) == expected
    for parent in expected:
        assert node["deps"][parent] == "AllPartitionMapping", parent


def test_dataset_assets_have_checks(described: dict[str, Any]) -> None:
    for source in ("bindingdb", "chembl", "gdsc"):
        dataset = described["assets"][f"datasets/{source}"]
        assert dataset["partitions"] == f"dynamic:{source}_versions"
        assert dataset["checks"] == ["objects_match_checksums"]
        assert "disjoint" in described["assets"][f"splits/{source}"]["checks"]
