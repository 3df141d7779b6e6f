"""Response bodies of the HTTP API, as pydantic models, so `/openapi.json` declares them."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

# Registry documents store times as ISO-8601 strings written by the sync; a MongoDB driver
# that decodes BSON dates returns datetimes instead, so both are accepted.
Timestamp = datetime | str

SHA256_PATTERN = r"^[0-9a-f]{64}$"


class ErrorResponse(BaseModel):
    """A 404 or 503 body: what failed, and for a 404 which resource and name."""

    detail: str
    resource: str | None = Field(None, description="kind of resource not found")
    name: str | None = Field(None, description="name of the resource not found")


class HealthResponse(BaseModel):
    status: str = Field(description='"ok" when the registry responded to a ping')


class LastSync(BaseModel):
    report_id: str
    started_at: Timestamp | None = None
    ended_at: Timestamp | None = None
    status: str | None = None


class RegistryStats(BaseModel):
    """Counts over the registry; `s3_objects` is the store object count taken by the last sync."""

    datasets_count: int
    dataset_sources_count: int
    models_count: int
    model_names_count: int
    artifacts_count: int
    total_dataset_size_mb: float = Field(description="sum of dataset version sizes, in MiB")
    total_dataset_bytes: int
    s3_objects: int
    last_sync: LastSync | None


class SplitSetSummary(BaseModel):
    name: str
    strategy: str | None = None
    seed: int | None = None
    file_count: int
    rows: int | None = Field(None, description="rows over all split files; None if unknown")


class DatasetVersionSummary(BaseModel):
    version: str
    file_count: int
    total_bytes: int
    size_mb: float
    content_hash: str
    s3_prefix: str
    synced_at: Timestamp | None = None
    missing_from_volume: bool = False
    split_sets: list[SplitSetSummary]


class DatasetSourceSummary(BaseModel):
    source: str
    versions_count: int
    total_bytes: int
    versions: list[DatasetVersionSummary]


class DeclaredDataset(BaseModel):
    """A dataset version as a model version declares it, pinned to its content hash."""

    source: str
    version: str
    role: str
    split: str | None = None
    content_hash: str | None = None


class ModelVersionSummary(BaseModel):
    version: str
    task: str | None = None
    description: str = ""
    synced_at: Timestamp | None = None
    artifacts_count: int
    datasets: list[DeclaredDataset]


class ModelSummary(BaseModel):
    model: str
    versions_count: int
    versions: list[ModelVersionSummary]


class LineageEdge(BaseModel):
    """One dependency of a model version on a dataset version."""

    model: str
    model_version: str
    source: str
    dataset_version: str
    role: str
    split: str | None = None
    content_hash: str | None = Field(None, description="content hash the model version pinned")
    dataset_registered: bool = Field(description="whether the registry has the dataset version")
    content_hash_matches: bool = Field(
        description="whether the pinned content hash equals the registered one"
    )


class DiscoverSummary(BaseModel):
    generated_at: datetime
    datasets: list[DatasetSourceSummary]
    models: list[ModelSummary]
    lineage: list[LineageEdge]


class DatasetFile(BaseModel):
    key: str
    name: str | None = None
    size: int
    sha256: str = Field(pattern=SHA256_PATTERN)
    content_type: str | None = None
    rows: int | None = None
    s3_uri: str | None = None


class SplitFile(BaseModel):
    key: str
    split: str | None = None
    rows: int | None = None
    size: int
    sha256: str = Field(pattern=SHA256_PATTERN)
    s3_uri: str | None = None


class SplitSet(BaseModel):
    """One split set's manifest; fields beyond the ones listed are passed through as stored."""

    model_config = ConfigDict(extra="allow")

    strategy: str | None = None
    seed: int | None = None
    files: list[SplitFile] = []


class DatasetVersionDetail(BaseModel):
    source: str
    version: str
    content_hash: str
    file_count: int
    total_bytes: int
    prefix: str
    s3_prefix: str
    metadata_uri: str | None = None
    metadata_sha256: str | None = None
    synced_at: Timestamp | None = None
    dagster_run_id: str | None = None
    missing_from_volume: bool = False
    files: list[DatasetFile]
    splits: dict[str, SplitSet]
    previous_content_hashes: list[dict[str, Any]] = []


class ModelFile(BaseModel):
    key: str
    name: str | None = None
    kind: str
    size: int
    sha256: str = Field(pattern=SHA256_PATTERN)
    content_type: str | None = None
    s3_uri: str | None = None


class ModelVersionDetail(BaseModel):
    model: str
    version: str
    description: str = ""
    task: str | None = None
    prefix: str
    s3_prefix: str
    synced_at: Timestamp | None = None
    dagster_run_id: str | None = None
    datasets: list[DeclaredDataset]
    manifest: ModelFile | None = Field(None, description="the model.yaml artifact")
    reports: list[ModelFile] = Field(description="evaluation reports")
    artifacts: list[ModelFile] = Field(description="files that are neither manifest nor report")


class LineageFile(BaseModel):
    key: str
    size: int
    sha256: str
    s3_uri: str | None = None
    split: str | None = None
    rows: int | None = None


class LineageSplitSet(BaseModel):
    name: str
    strategy: str | None = None
    seed: int | None = None
    files: list[LineageFile]


class LineageDataset(BaseModel):
    source: str
    version: str
    role: str
    split: str | None = None
    status: str = Field(
        description='"ok"; "missing" (not registered); "changed" (republished with another '
        'content hash); "split_missing" (the declared split set is not published)'
    )
    pinned_content_hash: str | None = None
    content_hash: str | None = Field(None, description="content hash now in the registry")
    s3_prefix: str | None = None
    metadata_uri: str | None = None
    metadata_sha256: str | None = None
    files: list[LineageFile]
    split_sets: list[LineageSplitSet]


class LineageArtifact(BaseModel):
    key: str
    kind: str
    size: int
    sha256: str
    s3_uri: str | None = None


class LineageTree(BaseModel):
    model: str
    version: str
    task: str | None = None
    s3_prefix: str | None = None
    synced_at: Timestamp | None = None
    artifacts: list[LineageArtifact]
    datasets: list[LineageDataset]


class SyncReport(BaseModel):
    """A sync report as stored; fields beyond the ones listed are passed through."""

    model_config = ConfigDict(extra="allow")

    report_id: str
    started_at: Timestamp | None = None
    ended_at: Timestamp | None = None
    status: str | None = None


class SyncReportPage(BaseModel):
    total: int
    offset: int
    limit: int
    items: list[SyncReport] = Field(
        description="reports, latest first, without the per-file lists (see the detail endpoint)"
    )
