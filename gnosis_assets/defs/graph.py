"""Build the asset graph from the catalog: which assets, checks and jobs exist."""

from dataclasses import dataclass, field

from dagster import AssetChecksDefinition, AssetsDefinition

from gnosis_assets.defs.assets.datasets import build_dataset_asset
from gnosis_assets.defs.assets.models import build_model_asset
from gnosis_assets.defs.assets.registry import (
    build_dataset_record_asset,
    build_model_record_asset,
    dataset_record_key,
    model_record_key,
)
from gnosis_assets.defs.assets.reports import build_sync_report_asset
from gnosis_assets.defs.assets.splits import build_split_asset
from gnosis_assets.defs.checks import build_checksum_check, build_split_checks
from gnosis_assets.sync.catalog import Catalog


@dataclass
class AssetGraph:
    """The assets and checks of one catalog, grouped by what a sync materializes together."""

    dataset_assets: dict[str, list[AssetsDefinition]] = field(default_factory=dict)
    model_assets: dict[str, list[AssetsDefinition]] = field(default_factory=dict)
    sync_report: AssetsDefinition | None = None
    checks: list[AssetChecksDefinition] = field(default_factory=list)

    @property
    def all_assets(self) -> list[AssetsDefinition]:
        assets = [item for group in self.dataset_assets.values() for item in group]
        assets += [item for group in self.model_assets.values() for item in group]
        if self.sync_report is not None:
            assets.append(self.sync_report)
        return assets


def build_asset_graph(catalog: Catalog) -> AssetGraph:
    graph = AssetGraph()
    record_keys = []
    for source, spec in catalog.sources.items():
        graph.dataset_assets[source] = [
            build_dataset_asset(spec),
            build_split_asset(spec),
            build_dataset_record_asset(source),
        ]
        graph.checks.append(build_checksum_check(source))
        graph.checks.append(build_split_checks(source))
        record_keys.append(dataset_record_key(source))
    for model, model_spec in catalog.models.items():
        graph.model_assets[model] = [
            build_model_asset(model_spec, catalog),
            build_model_record_asset(model),
        ]
        record_keys.append(model_record_key(model))
    graph.sync_report = build_sync_report_asset(record_keys)
    return graph
