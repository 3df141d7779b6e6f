"""Object stores for published data: S3, or a local folder that mirrors a bucket key for key."""

from gnosis_assets.stores.base import (
    ChecksumMismatchError,
    ObjectInfo,
    ObjectStore,
    PutResult,
    StoreError,
)

__all__ = ["ChecksumMismatchError", "ObjectInfo", "ObjectStore", "PutResult", "StoreError"]
