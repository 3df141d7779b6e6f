"""An IO manager that stores asset outputs as canonical JSON in the object store.

Writing records the object's SHA256 and size on the materialization. Loading re-hashes the
bytes and compares them with that record and with the object's own metadata before the
downstream asset receives them. The stock pickle IO manager checks nothing.
"""

import hashlib
import json
from typing import Any

from dagster import (
    AssetRecordsFilter,
    ConfigurableIOManager,
    InputContext,
    MetadataValue,
    OutputContext,
    ResourceDependency,
)

from gnosis_assets.defs.resources import GnosisResource
from gnosis_assets.lib.canonical import canonical_json
from gnosis_assets.stores.base import ChecksumMismatchError

IO_PREFIX = "_dagster/io"


class ChecksummedIOManager(ConfigurableIOManager):
    gnosis: ResourceDependency[GnosisResource]

    def _key(self, asset_path: list[str], partition_key: str | None) -> str:
        parts = [IO_PREFIX, *asset_path]
        if partition_key is not None:
            parts.append(partition_key)
        return "/".join(parts) + ".json"

    def handle_output(self, context: OutputContext, obj: dict[str, Any]) -> None:
        partition = context.partition_key if context.has_partition_key else None
        key = self._key(list(context.asset_key.path), partition)
        data = canonical_json(obj)
        sha256 = hashlib.sha256(data).hexdigest()
        store = self.gnosis.get_store()
        existing = store.head(key)
        if existing is None or existing.sha256 != sha256:
            store.put_bytes(key, data, content_type="application/json")
        context.add_output_metadata(
            {
                "io_sha256": sha256,
                "io_size": len(data),
                "io_uri": MetadataValue.text(store.uri(key)),
            }
        )

    def load_input(self, context: InputContext) -> dict[str, Any]:
        partition = context.asset_partition_key if context.has_asset_partitions else None
        key = self._key(list(context.asset_key.path), partition)
        store = self.gnosis.get_store()
        try:
            data = b"".join(store.get_chunks(key))
        except KeyError:
            raise ChecksumMismatchError(
                f"{store.uri(key)} is missing: materialize {context.asset_key.to_user_string()}"
                f"{f' partition {partition}' if partition else ''} first"
            ) from None
        actual = hashlib.sha256(data).hexdigest()
        recorded = self._recorded_sha256(context, partition)
        info = store.head(key)
        for label, expected in (
            ("materialization", recorded),
            ("object metadata", info and info.sha256),
        ):
            if expected is not None and expected != actual:
                raise ChecksumMismatchError(
                    f"{store.uri(key)}: SHA256 {actual} differs from the {label} record "
                    f"{expected}. The stored output was changed; re-materialize "
                    f"{context.asset_key.to_user_string()}."
                )
        return json.loads(data)

    def _recorded_sha256(self, context: InputContext, partition: str | None) -> str | None:
        records = context.instance.fetch_materializations(
            AssetRecordsFilter(
                asset_key=context.asset_key,
                asset_partitions=[partition] if partition is not None else None,
            ),
            limit=1,
        ).records
        if not records:
            return None
        materialization = records[0].asset_materialization
        value = (materialization.metadata if materialization else {}).get("io_sha256")
        return str(value.value) if value is not None else None
