"""The read-only endpoints under `/api`."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from gnosis_assets.api import queries
from gnosis_assets.api.schemas import (
    DatasetVersionDetail,
    DiscoverSummary,
    ErrorResponse,
    HealthResponse,
    LineageTree,
    ModelVersionDetail,
    RegistryStats,
    SyncReport,
    SyncReportPage,
)
from gnosis_assets.api.state import ApiState, NotFoundError
from gnosis_assets.lineage.graph import LineageNotFoundError, lineage_tree
from gnosis_assets.lineage.openlineage import openlineage_events
from gnosis_assets.registry.client import Registry

# Source, model and version names as the sync accepts them (see sync/catalog.py).
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
MAX_PAGE_SIZE = 100
MAX_OFFSET = 1_000_000  # beyond any real report count, and small enough for MongoDB's skip

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "The named resource is not registered"}
}
UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {"model": ErrorResponse, "description": "The registry did not respond"}
}

SourceName = Annotated[str, Path(pattern=NAME_PATTERN, description="dataset source")]
ModelName = Annotated[str, Path(pattern=NAME_PATTERN, description="model name")]
VersionName = Annotated[str, Path(pattern=NAME_PATTERN, description="version folder name")]

router = APIRouter(prefix="/api", responses=UNAVAILABLE)


def get_state(request: Request) -> ApiState:
    return request.app.state.gnosis


def get_registry(state: Annotated[ApiState, Depends(get_state)]) -> Registry:
    return state.registry()


StateDependency = Annotated[ApiState, Depends(get_state)]
RegistryDependency = Annotated[Registry, Depends(get_registry)]


def _json(body: bytes) -> Response:
    return Response(content=body, media_type="application/json")


@router.get("/health", response_model=HealthResponse, summary="Check that the registry answers")
def health(registry: RegistryDependency) -> dict[str, str]:
    registry.db.command("ping")
    return {"status": "ok"}


@router.get(
    "/registry/stats",
    response_model=RegistryStats,
    summary="Count models, dataset versions, artifacts and stored bytes",
    description="Served from an in-process copy at most `cache_ttl_s` seconds old.",
)
async def stats(state: StateDependency) -> Response:
    body = state.stats.peek()
    if body is None:
        body = await run_in_threadpool(state.stats.get)
    return _json(body)


@router.get(
    "/registry/discover/summary",
    response_model=DiscoverSummary,
    summary="List dataset sources, models and their lineage edges, without per-file lists",
    description="Served from an in-process copy at most `cache_ttl_s` seconds old.",
)
async def discover_summary(state: StateDependency) -> Response:
    body = state.summary.peek()
    if body is None:
        body = await run_in_threadpool(state.summary.get)
    return _json(body)


@router.get(
    "/registry/datasets/{source}/{version}",
    response_model=DatasetVersionDetail,
    responses=NOT_FOUND,
    summary="Show a dataset version: files with SHA256 and S3 URI, and its split sets",
)
def dataset_version(
    source: SourceName, version: VersionName, registry: RegistryDependency
) -> dict[str, Any]:
    document = registry.dataset(source, version)
    if document is None:
        raise NotFoundError("dataset_version", f"{source}/{version}")
    return document


@router.get(
    "/registry/models/{model}/{version}",
    response_model=ModelVersionDetail,
    responses=NOT_FOUND,
    summary="Show a model version: reports and artifacts with SHA256, declared datasets",
)
def model_version(
    model: ModelName, version: VersionName, registry: RegistryDependency
) -> dict[str, Any]:
    document = queries.model_detail(registry, model, version)
    if document is None:
        raise NotFoundError("model_version", f"{model}/{version}")
    return document


@router.get(
    "/registry/models/{model}/{version}/lineage",
    response_model=LineageTree,
    responses=NOT_FOUND,
    summary="Trace a model version down to every dataset file and checksum it depends on",
)
def model_lineage(
    model: ModelName, version: VersionName, registry: RegistryDependency
) -> dict[str, Any]:
    try:
        return lineage_tree(registry, model, version)
    except LineageNotFoundError:
        raise NotFoundError("model_version", f"{model}/{version}") from None


@router.get(
    "/registry/models/{model}/{version}/lineage/openlineage",
    response_model=list[dict[str, Any]],
    responses=NOT_FOUND,
    summary="Export a model version's lineage as OpenLineage RunEvents",
    description="START and COMPLETE events per split run and for the model version, each "
    "dataset carrying the `gnosis_checksums` facet with its files' SHA256.",
)
def model_openlineage(
    model: ModelName, version: VersionName, registry: RegistryDependency
) -> list[dict[str, Any]]:
    try:
        tree = lineage_tree(registry, model, version)
    except LineageNotFoundError:
        raise NotFoundError("model_version", f"{model}/{version}") from None
    return openlineage_events(tree)


@router.get(
    "/registry/sync-reports",
    response_model=SyncReportPage,
    summary="List sync reports, latest first",
)
def sync_reports(
    registry: RegistryDependency,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="reports to skip")] = 0,
    limit: Annotated[
        int, Query(ge=1, le=MAX_PAGE_SIZE, description="reports per page, 1 to 100")
    ] = 20,
) -> dict[str, Any]:
    return queries.sync_report_page(registry, offset, limit)


@router.get(
    "/registry/sync-reports/{report_id}",
    response_model=SyncReport,
    responses=NOT_FOUND,
    summary="Show one sync report with every file it synced",
)
def sync_report(
    report_id: Annotated[str, Path(pattern=NAME_PATTERN, description="report id")],
    registry: RegistryDependency,
) -> dict[str, Any]:
    document = queries.sync_report(registry, report_id)
    if document is None:
        raise NotFoundError("sync_report", report_id)
    return document
