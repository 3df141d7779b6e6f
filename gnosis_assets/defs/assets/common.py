"""Pieces the asset factories share."""

import logging
from typing import Any

from dagster import AssetExecutionContext, MetadataValue, TableColumn, TableRecord, TableSchema

from gnosis_assets.defs.resources import GnosisResource
from gnosis_assets.sync.context import Progress, SyncContext

SUMMARY_METADATA_KEY = "sync_summary"  # JSON per-version summary that the sync report collects

FILES_SCHEMA = TableSchema(
    columns=[
        TableColumn("key", "string"),
        TableColumn("size", "int"),
        TableColumn("sha256", "string"),
        TableColumn("rows", "int"),
        TableColumn("action", "string"),
    ]
)


def sync_context(context: AssetExecutionContext, gnosis: GnosisResource) -> SyncContext:
    log = context.log if isinstance(context.log, logging.Logger) else _Adapter(context)
    return SyncContext(
        settings=gnosis.get_settings(),
        datasets_volume=gnosis.get_datasets_volume(),
        models_volume=gnosis.get_models_volume(),
        store=gnosis.get_store(),
        cache=gnosis.get_cache(),
        run_id=context.run.run_id,
        log=log,
        progress=Progress(log),
    )


class _Adapter:
    """Present Dagster's log manager with the `logging.Logger` methods the sync calls."""

    def __init__(self, context: AssetExecutionContext) -> None:
        self._log = context.log

    def info(self, message: str, *args: Any) -> None:
        self._log.info(message % args if args else message)

    def warning(self, message: str, *args: Any) -> None:
        self._log.warning(message % args if args else message)

    def error(self, message: str, *args: Any) -> None:
        self._log.error(message % args if args else message)


def files_table(records: list[dict[str, Any]], actions: dict[str, str]) -> MetadataValue:
    return MetadataValue.table(
        records=[
            TableRecord(
                {
                    "key": record["key"],
                    "size": int(record["size"]),
                    "sha256": record["sha256"],
                    "rows": int(record["rows"]) if record.get("rows") is not None else -1,
                    "action": actions.get(record["key"], ""),
                }
            )
            for record in records
        ],
        schema=FILES_SCHEMA,
    )
