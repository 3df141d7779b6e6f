"""Dynamic partitions: one per source (its dataset versions) and per model (its versions)."""

import re

from dagster import DynamicPartitionsDefinition


def partitions_name(name: str) -> str:
    """Return the partitions-definition name for a source or model, e.g. `gnosis_i_versions`."""
    return re.sub(r"[^A-Za-z0-9_]", "_", name) + "_versions"


def versions_partitions(name: str) -> DynamicPartitionsDefinition:
    return DynamicPartitionsDefinition(name=partitions_name(name))
