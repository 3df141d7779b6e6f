"""Volume sources of curated data: Modal volumes, through the client or as a mounted folder."""

from gnosis_assets.volumes.base import FileEntry, FileEntryType, VolumeError, VolumeSource

__all__ = ["FileEntry", "FileEntryType", "VolumeError", "VolumeSource"]
