"""The eval-report asset of each model: one partition per model version.

It depends on the dataset and split-set assets of the sources the catalog lists for the model,
so the asset graph shows model -> dataset lineage. Which exact dataset versions a model
version used is in its model.yaml, pinned to their content hashes in the output.
"""

from typing import Any

from dagster import (
    AllPartitionMapping,
    AssetDep,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    DataVersion,
    Failure,
    MetadataValue,
    Output,
    TableColumn,
    TableRecord,
    TableSchema,
    asset,
)

from gnosis_assets.defs.assets.common import SUMMARY_METADATA_KEY, files_table, sync_context
from gnosis_assets.defs.assets.datasets import dataset_asset_key
from gnosis_assets.defs.partitions import versions_partitions
from gnosis_assets.defs.resources import GnosisResource
from gnosis_assets.lib.hashing import content_hash
from gnosis_assets.sync.catalog import Catalog, ModelSpec
from gnosis_assets.sync.models import sync_model_version

LINEAGE_SCHEMA = TableSchema(
    columns=[
        TableColumn("source", "string"),
        TableColumn("version", "string"),
        TableColumn("role", "string"),
        TableColumn("split", "string"),
        TableColumn("content_hash", "string"),
    ]
)


def eval_reports_asset_key(model: str) -> AssetKey:
    return AssetKey(["models", model, "eval_reports"])


def split_asset_key(source: str) -> AssetKey:
    return AssetKey(["splits", source])


def build_model_asset(spec: ModelSpec, catalog: Catalog) -> AssetsDefinition:
    deps = []
    for source in spec.datasets:
        for key in (dataset_asset_key(source), split_asset_key(source)):
            deps.append(AssetDep(key, partition_mapping=AllPartitionMapping()))

    @asset(
        key=eval_reports_asset_key(spec.name),
        partitions_def=versions_partitions(spec.name),
        deps=deps,
        group_name="models",
        io_manager_key="checksummed_io_manager",
        description=f"Evaluation reports and model.yaml of {spec.name}, byte-exact in the store. "
        f"{spec.description}",
        kinds={"s3"},
        tags={"gnosis/model": spec.name},
    )
    def eval_reports(
        context: AssetExecutionContext, gnosis: GnosisResource
    ) -> Output[dict[str, Any]]:
        version = context.partition_key
        sync = sync_context(context, gnosis)
        try:
            result = sync_model_version(sync, catalog, spec.name, version)
        finally:
            sync.progress.close()
        summary = result.summary()
        if result.status == "failed" or result.record is None:
            raise Failure(
                description=f"model {spec.name}/{version} was not published: {result.error}",
                metadata={SUMMARY_METADATA_KEY: MetadataValue.json(summary)},
            )
        record = result.record
        actions = {item["key"]: item["action"] for item in result.files}
        lineage = MetadataValue.table(
            records=[
                TableRecord(
                    {
                        "source": item["source"],
                        "version": item["version"],
                        "role": item["role"],
                        "split": item.get("split") or "",
                        "content_hash": item["content_hash"],
                    }
                )
                for item in record["datasets"]
            ],
            schema=LINEAGE_SCHEMA,
        )
        digest = content_hash((item["key"], item["sha256"]) for item in record["files"])
        return Output(
            record,
            data_version=DataVersion(digest),
            metadata={
                "content_hash": digest,
                "file_count": len(record["files"]),
                "s3_prefix": MetadataValue.url(record["s3_prefix"]),
                "outcome": result.status,
                "files": files_table(record["files"], actions),
                "datasets_used": lineage,
                SUMMARY_METADATA_KEY: MetadataValue.json(summary),
            },
        )

    return eval_reports
