"""Registry-record assets: MongoDB documents and YAML manifests for each published version."""

from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetIn,
    AssetKey,
    AssetsDefinition,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)

from gnosis_assets.defs.assets.models import eval_reports_asset_key, split_asset_key
from gnosis_assets.defs.partitions import versions_partitions
from gnosis_assets.defs.resources import GnosisResource
from gnosis_assets.registry.publish import publish_dataset_record, publish_model_record
from gnosis_assets.stores.base import StoreError


def dataset_record_key(source: str) -> AssetKey:
    return AssetKey(["registry", "datasets", source])


def model_record_key(model: str) -> AssetKey:
    return AssetKey(["registry", "models", model])


def build_dataset_record_asset(source: str) -> AssetsDefinition:
    @asset(
        key=dataset_record_key(source),
        partitions_def=versions_partitions(source),
        ins={"metadata": AssetIn(split_asset_key(source))},
        group_name="registry",
        description=f"Registry document and YAML manifest of each {source} dataset version.",
        kinds={"mongodb", "yaml"},
    )
    def dataset_record(
        context: AssetExecutionContext, gnosis: GnosisResource, metadata: dict[str, Any]
    ) -> MaterializeResult:
        store = gnosis.get_store()
        try:
            with gnosis.get_registry() as registry:
                result = publish_dataset_record(
                    store, registry, gnosis.get_settings().manifests_folder, metadata
                )
        except (KeyError, StoreError) as error:
            raise Failure(
                f"metadata.json of {metadata['source']}/{metadata['version']} in the store does "
                f"not match the published dataset document: {error}. Re-materialize the dataset "
                "and split assets of this version."
            ) from error
        context.log.info(
            "registry record of %s %s",
            result.registry_id,
            "updated" if result.changed else "unchanged",
        )
        return MaterializeResult(
            metadata={
                "registry_id": result.registry_id,
                "changed": result.changed,
                "metadata_sha256": result.metadata_sha256,
                "manifest": MetadataValue.text(result.manifest_uri),
            }
        )

    return dataset_record


def build_model_record_asset(model: str) -> AssetsDefinition:
    @asset(
        key=model_record_key(model),
        partitions_def=versions_partitions(model),
        ins={"record": AssetIn(eval_reports_asset_key(model))},
        group_name="registry",
        description=f"Registry documents (model, artifacts) and YAML manifest of {model}.",
        kinds={"mongodb", "yaml"},
    )
    def model_record(
        context: AssetExecutionContext, gnosis: GnosisResource, record: dict[str, Any]
    ) -> MaterializeResult:
        with gnosis.get_registry() as registry:
            result = publish_model_record(
                gnosis.get_store(), registry, gnosis.get_settings().manifests_folder, record
            )
        return MaterializeResult(
            metadata={
                "registry_id": result.registry_id,
                "changed": result.changed,
                "artifacts": result.artifacts,
                "manifest": MetadataValue.text(result.manifest_uri),
            }
        )

    return model_record
