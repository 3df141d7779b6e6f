"""Lineage of published data: trees from the registry and their OpenLineage export."""

from gnosis_assets.lineage.graph import LineageNotFoundError, format_lineage_tree, lineage_tree
from gnosis_assets.lineage.openlineage import openlineage_events

__all__ = ["LineageNotFoundError", "format_lineage_tree", "lineage_tree", "openlineage_events"]
