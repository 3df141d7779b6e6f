"""The read-only HTTP API over the registry: FastAPI application and uvicorn entry point."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pymongo.errors import PyMongoError

from gnosis_assets import __version__
from gnosis_assets.api.routes import router
from gnosis_assets.api.state import (
    DEFAULT_CACHE_TTL_S,
    ApiState,
    NotFoundError,
    RegistryUnavailableError,
)
from gnosis_assets.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8001


def create_app(settings: Settings, *, cache_ttl_s: float = DEFAULT_CACHE_TTL_S) -> FastAPI:
    """Build the API application; the registry is opened by the first request that needs it.

    `/api/registry/stats` and `/api/registry/discover/summary` are served from copies up to
    `cache_ttl_s` seconds old; 0 rebuilds them on every request.
    """
    state = ApiState(settings, cache_ttl_s=cache_ttl_s)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        state.close()

    app = FastAPI(
        title="GNOSIS registry API",
        version=__version__,
        description="Read-only access to published dataset versions, split sets, model "
        "versions, their checksums and lineage, and sync reports.",
        lifespan=lifespan,
    )
    app.state.gnosis = state
    app.include_router(router)
    app.add_exception_handler(NotFoundError, _not_found)
    app.add_exception_handler(PyMongoError, _registry_unavailable)
    app.add_exception_handler(RegistryUnavailableError, _registry_unavailable)
    return app


async def _not_found(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, NotFoundError)
    return JSONResponse(
        status_code=404,
        content={"detail": str(error), "resource": error.resource, "name": error.name},
    )


async def _registry_unavailable(request: Request, error: Exception) -> JSONResponse:
    log.error("registry request for %s failed: %s", request.url.path, error)
    # The driver's message can name hosts, so clients get only the error type and the fix.
    return JSONResponse(
        status_code=503,
        content={
            "detail": f"the registry did not respond ({type(error).__name__}); check that the "
            "MongoDB server is running and that MONGODB_URI points at it (without MONGODB_URI, "
            "see the embedded server's log in $GNOSIS_HOME/mongodb/server.log), then retry"
        },
    )


def serve(
    settings: Settings,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    cache_ttl_s: float = DEFAULT_CACHE_TTL_S,
    access_log: bool = True,
) -> None:
    """Run the API under uvicorn until interrupted."""
    log.info("serving the GNOSIS registry API on http://%s:%d", host, port)
    uvicorn.run(
        create_app(settings, cache_ttl_s=cache_ttl_s),
        host=host,
        port=port,
        access_log=access_log,
        log_level="info",
    )
