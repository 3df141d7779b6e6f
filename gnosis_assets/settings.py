"""Configuration from environment variables, with defaults that need no cloud and no server.

Every variable is listed in the README. Code that needs one of these settings receives a
`Settings` object built by `Settings.from_env`. The automation timings (`defs/schedules.py`)
and the Modal app (`remote/modal_app.py`) read their own few variables.
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent
SAMPLE_VOLUMES = PACKAGE_ROOT / "sample_volumes"
DEFAULT_BUCKET = "veridicabatabase"
DATASETS_PREFIX = "datasets"
MODELS_PREFIX = "models"
SYNC_REPORTS_PREFIX = f"{DATASETS_PREFIX}/_sync_reports"
MANIFESTS_PREFIX = "manifests"


@dataclass(frozen=True)
class Settings:
    """Locations of the volumes, the store, the registry and the state folder."""

    home: Path
    volumes: str  # a folder holding both volumes, or "modal"
    store: str  # "s3://bucket[/prefix]" or a local folder
    mongodb_uri: str | None  # None: start or reuse the embedded SecantusDB server
    mongodb_database: str
    datasets_volume: str
    models_volume: str
    modal_environment: str | None
    workers: int
    immutable_versions: bool

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if environ is None else environ
        home = Path(env.get("GNOSIS_HOME") or Path.cwd() / ".gnosis").resolve()
        store = env.get("GNOSIS_STORE") or str(home / "s3" / DEFAULT_BUCKET)
        raw_workers = env.get("GNOSIS_WORKERS") or "4"
        if not raw_workers.isdigit() or int(raw_workers) < 1:
            raise ValueError(
                f"GNOSIS_WORKERS must be a whole number of at least 1, got {raw_workers!r}"
            )
        workers = int(raw_workers)
        return cls(
            home=home,
            volumes=env.get("GNOSIS_VOLUMES") or str(SAMPLE_VOLUMES),
            store=store,
            mongodb_uri=env.get("MONGODB_URI") or None,
            mongodb_database=env.get("GNOSIS_MONGODB_DATABASE") or "gnosis",
            datasets_volume=env.get("GNOSIS_DATASETS_VOLUME") or "veridica-datasets",
            models_volume=env.get("GNOSIS_MODELS_VOLUME") or "veridica-models",
            modal_environment=env.get("MODAL_ENVIRONMENT") or None,
            workers=workers,
            immutable_versions=(env.get("GNOSIS_IMMUTABLE_VERSIONS") or "").lower()
            in ("1", "true", "yes"),
        )

    @property
    def store_is_s3(self) -> bool:
        return self.store.startswith("s3://")

    @property
    def manifests_folder(self) -> Path:
        return self.home / "manifests"

    @property
    def cache_folder(self) -> Path:
        return self.home / "cache"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster"
