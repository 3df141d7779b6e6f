"""State kept between requests: the lazily opened registry and the cached responses."""

import logging
import threading

import pymongo
from pydantic import BaseModel

from gnosis_assets.api import queries
from gnosis_assets.api.cache import RefreshingCache
from gnosis_assets.api.schemas import DiscoverSummary, RegistryStats
from gnosis_assets.registry.client import Registry, connect
from gnosis_assets.registry.stats import registry_stats
from gnosis_assets.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_CACHE_TTL_S = 5.0
SERVER_SELECTION_TIMEOUT_MS = 5_000  # how long a request waits for an unreachable registry


class NotFoundError(LookupError):
    """A dataset version, model version or report that the registry does not contain."""

    def __init__(self, resource: str, name: str) -> None:
        super().__init__(f"{resource.replace('_', ' ')} {name} is not in the registry")
        self.resource = resource
        self.name = name


class RegistryUnavailableError(RuntimeError):
    """A registry that could not be reached or started; the message gives the cause."""


class ApiState:
    """The registry connection, opened on first use, and the cached registry-wide responses."""

    def __init__(self, settings: Settings, cache_ttl_s: float = DEFAULT_CACHE_TTL_S) -> None:
        self.settings = settings
        self._client: pymongo.MongoClient | None = None
        self._registry: Registry | None = None
        self._lock = threading.Lock()
        self.stats = RefreshingCache(
            "registry stats",
            lambda: _dump(RegistryStats, registry_stats(self.registry())),
            cache_ttl_s,
        )
        self.summary = RefreshingCache(
            "discover summary",
            lambda: _dump(DiscoverSummary, queries.discover_summary(self.registry())),
            cache_ttl_s,
        )

    def registry(self) -> Registry:
        """Return the registry, connecting on the first call.

        Nothing is written: indexes are left to the sync, because the API is read-only.
        """
        registry = self._registry
        if registry is not None:
            return registry
        with self._lock:
            if self._registry is None:
                where = "MONGODB_URI" if self.settings.mongodb_uri else "the embedded server"
                log.info("connecting to the registry at %s", where)
                try:
                    self._client = connect(self.settings, timeout_ms=SERVER_SELECTION_TIMEOUT_MS)
                except RuntimeError as error:
                    # Raised when the embedded SecantusDB server fails to start.
                    raise RegistryUnavailableError(str(error)) from error
                self._registry = Registry(self._client[self.settings.mongodb_database])
            return self._registry

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
            self._client = None
            self._registry = None


def _dump(model: type[BaseModel], document: object) -> bytes:
    """Validate a document against its response model and serialize it once, for the cache."""
    return model.model_validate(document).model_dump_json().encode("utf-8")
