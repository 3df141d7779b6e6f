"""The code location: assets, checks, jobs, schedules, sensors and resources."""

from dagster import Definitions

from gnosis_assets.defs.deployment import build_resources
from gnosis_assets.defs.graph import build_asset_graph
from gnosis_assets.defs.schedules import (
    AutomationSettings,
    build_schedules,
    build_sync_jobs,
    with_freshness,
)
from gnosis_assets.defs.sensors import build_sensors
from gnosis_assets.defs.verification import verify_store_job
from gnosis_assets.remote.assets import execution_from_env, pipes_resources, remote_graph
from gnosis_assets.sync.catalog import load_catalog

catalog = load_catalog()
execution = execution_from_env()
graph = build_asset_graph(catalog)
if execution != "in_process":
    graph = remote_graph(graph, catalog, execution)
automation = AutomationSettings.from_env()
jobs = build_sync_jobs(graph)

defs = Definitions(
    assets=with_freshness(graph),
    asset_checks=graph.checks,
    jobs=[*jobs.all, verify_store_job],
    schedules=build_schedules(jobs, automation),
    sensors=build_sensors(jobs, automation),
    resources={**build_resources(), **pipes_resources()},
)
