"""Resources that give assets the settings, volumes, store and registry."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from dagster import ConfigurableResource, ResourceDependency
from dagster_aws.s3 import S3Resource
from pydantic import PrivateAttr

from gnosis_assets.registry.client import Registry, open_registry
from gnosis_assets.settings import Settings
from gnosis_assets.stores.base import ObjectStore
from gnosis_assets.stores.factory import open_store
from gnosis_assets.sync.cache import HashCache
from gnosis_assets.volumes.base import VolumeSource
from gnosis_assets.volumes.factory import datasets_volume, models_volume


class GnosisResource(ConfigurableResource):
    """Settings from the environment (see the README), with optional overrides per deployment.

    The S3 client comes from dagster-aws's S3Resource, so its configuration and the standard
    AWS variables (AWS_PROFILE, AWS_ENDPOINT_URL_S3, ...) apply.
    """

    s3: ResourceDependency[S3Resource]
    home: str | None = None
    volumes: str | None = None
    store: str | None = None
    mongodb_uri: str | None = None
    full_rescan: bool = False  # True: ignore the hash cache and re-read every source file

    # One store (and so one boto3 client, about 0.3 s to build) per resource instance.
    _store: Any = PrivateAttr(default=None)

    def get_settings(self) -> Settings:
        settings = Settings.from_env()
        if self.home:
            settings = replace(settings, home=Path(self.home))
        if self.volumes:
            settings = replace(settings, volumes=self.volumes)
        if self.store:
            settings = replace(settings, store=self.store)
        if self.mongodb_uri:
            settings = replace(settings, mongodb_uri=self.mongodb_uri)
        return settings

    def get_store(self) -> ObjectStore:
        if self._store is None:
            settings = self.get_settings()
            client = self.s3.get_client() if settings.store_is_s3 else None
            self._store = open_store(settings, client=client)
        return self._store

    def get_datasets_volume(self) -> VolumeSource:
        return datasets_volume(self.get_settings())

    def get_models_volume(self) -> VolumeSource:
        return models_volume(self.get_settings())

    def get_cache(self) -> HashCache | None:
        if self.full_rescan:
            return None
        return HashCache(self.get_settings().home / "hash_cache.sqlite")

    @contextmanager
    def get_registry(self) -> Iterator[Registry]:
        with open_registry(self.get_settings()) as registry:
            yield registry
