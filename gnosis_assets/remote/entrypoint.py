"""The Pipes entrypoint: read the request from Dagster, run the sync, report the results.

Dagster starts it with `python -m gnosis_assets.remote.entrypoint` (local subprocess) or
through `modal run`, whose local entrypoint calls `run_session` with the Modal function as
the executor. Either way the Pipes session lives in the process that Dagster started, so the
default temp-file context and message channels work and the Modal container needs no route
back to Dagster.
"""

import logging
import os
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from dagster_pipes import PipesContext, open_dagster_pipes

from gnosis_assets.settings import Settings
from gnosis_assets.sync.catalog import load_catalog

log = logging.getLogger(__name__)

Executor = Callable[[dict[str, Any]], dict[str, Any]]


def execute_request(request: dict[str, Any]) -> dict[str, Any]:
    """Run one request in this process, over the volumes that GNOSIS_VOLUMES points at."""
    from gnosis_assets.remote.work import sync_dataset, sync_model

    settings = Settings.from_env()
    if request.get("store"):
        settings = replace(settings, store=request["store"])
    catalog = load_catalog()
    kind, name, version = request["kind"], request["name"], request["version"]
    log.info("remote sync of %s %s/%s from %s", kind, name, version, settings.volumes)
    if kind == "dataset":
        return sync_dataset(settings, catalog, name, version, request["run_id"])
    if kind == "model":
        return sync_model(settings, catalog, name, version, request["run_id"])
    raise ValueError(f"request kind {kind!r} is invalid; expected 'dataset' or 'model'")


def report_results(pipes: PipesContext, result: dict[str, Any]) -> None:
    """Send the materializations, check results and model record to Dagster."""
    for item in result["materializations"]:
        pipes.report_asset_materialization(
            asset_key=item["asset_key"],
            metadata=item["metadata"],
            data_version=item.get("data_version"),
        )
    for item in result["checks"]:
        pipes.report_asset_check(
            asset_key=item["asset_key"],
            check_name=item["check_name"],
            passed=item["passed"],
            metadata=item["metadata"],
        )
    if result.get("record") is not None:
        pipes.report_custom_message({"record": result["record"]})


def run_session(executor: Executor = execute_request) -> None:
    """Open the Pipes session, run the requested version with `executor` and report it."""
    with open_dagster_pipes() as pipes:
        request = {
            "kind": pipes.get_extra("kind"),
            "name": pipes.get_extra("name"),
            "version": pipes.partition_key,
            "run_id": pipes.run_id,
            "store": os.environ.get("GNOSIS_STORE"),
        }
        pipes.log.info(f"syncing {request['kind']} {request['name']}/{request['version']}")
        report_results(pipes, executor(request))


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    run_session()
