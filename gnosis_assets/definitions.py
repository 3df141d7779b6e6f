"""The code location: assets, checks and resources assembled from the catalog."""

from dagster import Definitions

from gnosis_assets.defs.deployment import build_resources
from gnosis_assets.defs.graph import build_asset_graph
from gnosis_assets.sync.catalog import load_catalog

graph = build_asset_graph(load_catalog())

defs = Definitions(
    assets=graph.all_assets,
    asset_checks=graph.checks,
    resources=build_resources(),
)
