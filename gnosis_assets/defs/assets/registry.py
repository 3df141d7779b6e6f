"""Registry-record assets: MongoDB documents and YAML manifests for each published version."""

import hashlib
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
from gnosis_assets.lib.canonical import canonical_json
from gnosis_assets.registry.manifests import (
    dataset_manifest,
    dataset_manifest_path,
    model_manifest,
    model_manifest_path,
    write_manifest,
)
from gnosis_assets.registry.records import artifact_documents, dataset_document, model_document
from gnosis_assets.stores.base import StoreError, read_verified
from gnosis_assets.sync.metadata import metadata_key


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
        key = metadata_key(metadata["source"], metadata["version"])
        expected = hashlib.sha256(canonical_json(metadata)).hexdigest()
        # The registry records only what metadata.json in the store says, byte for byte.
        try:
            read_verified(store, key, expected)
        except (KeyError, StoreError) as error:
            raise Failure(
                f"{store.uri(key)} does not match the published dataset document: {error}. "
                "Re-materialize the dataset and split assets of this version."
            ) from error
        document = dataset_document(metadata, expected, store.uri(key))
        with gnosis.get_registry() as registry:
            changed = registry.upsert_dataset(document)
            stored = registry.dataset(metadata["source"], metadata["version"])
        assert stored is not None
        settings = gnosis.get_settings()
        manifest_key = write_manifest(
            store,
            settings.manifests_folder,
            dataset_manifest_path(metadata["source"], metadata["version"]),
            dataset_manifest(stored),
        )
        context.log.info(
            "registry record of %s/%s %s",
            source,
            context.partition_key,
            "updated" if changed else "unchanged",
        )
        return MaterializeResult(
            metadata={
                "registry_id": f"{metadata['source']}/{metadata['version']}",
                "changed": changed,
                "metadata_sha256": expected,
                "manifest": MetadataValue.text(store.uri(manifest_key)),
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
        artifacts = artifact_documents(record)
        with gnosis.get_registry() as registry:
            changed = registry.upsert_model(model_document(record))
            for artifact in artifacts:
                changed = registry.upsert_artifact(artifact) or changed
            stored = registry.model(record["model"], record["version"])
            stored_artifacts = registry.artifacts(record["model"], record["version"])
        assert stored is not None
        store = gnosis.get_store()
        settings = gnosis.get_settings()
        manifest_key = write_manifest(
            store,
            settings.manifests_folder,
            model_manifest_path(record["model"], record["version"]),
            model_manifest(stored, stored_artifacts),
        )
        return MaterializeResult(
            metadata={
                "registry_id": f"{record['model']}/{record['version']}",
                "changed": changed,
                "artifacts": len(artifacts),
                "manifest": MetadataValue.text(store.uri(manifest_key)),
            }
        )

    return model_record
