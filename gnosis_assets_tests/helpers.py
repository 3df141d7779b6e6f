"""Small helpers for tests: run a sync in-process and read what it published."""

import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from secantus import SecantusDBServer

from gnosis_assets.defs.runner import SyncOutcome, run_sync
from gnosis_assets.instance import open_instance
from gnosis_assets.registry.client import open_registry
from gnosis_assets.settings import Settings
from gnosis_assets.stores.base import ObjectStore
from gnosis_assets.stores.factory import open_store
from gnosis_assets.stores.local import LocalStore
from gnosis_assets.sync.cache import HashCache
from gnosis_assets.sync.context import Progress, SyncContext
from gnosis_assets.volumes.base import VolumeSource


def sync(settings: Settings, *, full: bool = False) -> SyncOutcome:
    return run_sync(settings, open_instance(settings), full=full, log_level="WARNING")


def store_for(settings: Settings) -> ObjectStore:
    return open_store(settings)


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def keys_of(store: ObjectStore, prefix: str = "") -> list[str]:
    return [info.key for info in store.list(prefix)]


def registry_counts(settings: Settings) -> dict[str, int]:
    with open_registry(settings) as registry:
        return {name: registry.count(name) for name in ("datasets", "models", "artifacts")}


def registry_snapshot(settings: Settings) -> dict[str, Any]:
    """Return every registry document except sync reports, for idempotence checks."""
    with open_registry(settings) as registry:
        return {
            name: list(registry.db[name].find({}).sort("_id", 1))
            for name in ("datasets", "models", "artifacts")
        }


def engine_context(
    tmp_path: Path,
    volume: VolumeSource,
    *,
    cache: HashCache | None = None,
    run_id: str = "test-run",
) -> SyncContext:
    """Build a SyncContext over one volume and a local store in tmp_path, without Dagster."""
    settings = Settings.from_env(
        {"GNOSIS_HOME": str(tmp_path / "home"), "GNOSIS_STORE": str(tmp_path / "store")}
    )
    log = logging.getLogger("gnosis_assets_tests.engine")
    return SyncContext(
        settings=settings,
        datasets_volume=volume,
        models_volume=volume,
        store=LocalStore(tmp_path / "store"),
        cache=cache,
        run_id=run_id,
        log=log,
        progress=Progress(log),
    )


@contextmanager
def running_secantus(storage: Path) -> Iterator[SecantusDBServer]:
    """Run a SecantusDB server on a free loopback port, with test commands (fail points) on."""
    server = SecantusDBServer(
        host="127.0.0.1", port=0, storage_path=str(storage), enable_test_commands=True
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()
