"""Build the object store from the settings."""

from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from gnosis_assets.settings import Settings
from gnosis_assets.stores.base import ObjectStore
from gnosis_assets.stores.local import LocalStore
from gnosis_assets.stores.s3 import S3Store


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """Split `s3://bucket/prefix` into bucket and prefix, raising ValueError if invalid."""
    parsed = urlparse(uri)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise ValueError(f"GNOSIS_STORE={uri!r} is not of the form s3://<bucket>[/<prefix>]")
    return parsed.netloc, parsed.path.strip("/")


def make_s3_client() -> Any:
    """Build a boto3 S3 client through dagster-aws, honouring the standard AWS variables."""
    from dagster_aws.s3 import S3Resource

    return S3Resource(max_attempts=6).get_client()


def open_store(settings: Settings, client: Any | None = None) -> ObjectStore:
    if settings.store_is_s3:
        bucket, prefix = parse_s3_uri(settings.store)
        return S3Store(client if client is not None else make_s3_client(), bucket, prefix)
    return LocalStore(Path(settings.store))
