"""The read-only HTTP API over the registry, a FastAPI application served by uvicorn."""

from gnosis_assets.api.app import DEFAULT_HOST, DEFAULT_PORT, create_app, serve

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "create_app", "serve"]
