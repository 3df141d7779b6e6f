"""Build the two volume sources from the settings."""

from pathlib import Path

from gnosis_assets.settings import Settings
from gnosis_assets.volumes.base import VolumeSource
from gnosis_assets.volumes.local import LocalVolume
from gnosis_assets.volumes.modal_volume import ModalVolume


def open_volume(settings: Settings, name: str) -> VolumeSource:
    """Return the volume `name` from Modal or from the local folder in GNOSIS_VOLUMES."""
    if settings.volumes == "modal":
        return ModalVolume(name, environment=settings.modal_environment)
    return LocalVolume(Path(settings.volumes) / name, name)


def datasets_volume(settings: Settings) -> VolumeSource:
    return open_volume(settings, settings.datasets_volume)


def models_volume(settings: Settings) -> VolumeSource:
    return open_volume(settings, settings.models_volume)
