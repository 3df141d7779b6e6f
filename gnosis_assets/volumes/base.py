"""The interface every volume source implements, shaped after `modal.Volume`."""

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol


class FileEntryType(enum.IntEnum):
    """Entry types, numbered as in `modal.volume.FileEntryType`."""

    UNSPECIFIED = 0
    FILE = 1
    DIRECTORY = 2
    SYMLINK = 3
    FIFO = 4
    SOCKET = 5


@dataclass(frozen=True)
class FileEntry:
    """One listed entry: a path relative to the volume root, with `/` separators."""

    path: str
    type: FileEntryType
    mtime: int  # seconds since the epoch, as Modal reports it
    size: int  # bytes
    # Nanoseconds since the epoch where the source has them (local folders). The cache and the
    # fingerprints prefer it, so that two same-size writes within one second still differ.
    mtime_ns: int | None = None

    @property
    def version_stamp(self) -> int:
        """Return the finest modification time known, in nanoseconds."""
        return self.mtime_ns if self.mtime_ns is not None else self.mtime * 1_000_000_000


class VolumeError(RuntimeError):
    """A volume that cannot be listed or read; the message names the volume and the fix."""


class VolumeSource(Protocol):
    """A read-only view of one volume."""

    name: str

    def describe(self) -> str:
        """Return where the volume is read from, for logs and provenance."""
        ...

    def iterdir(self, path: str, *, recursive: bool = True) -> Iterator[FileEntry]:
        """Yield the entries under `path` (relative, "" for the root)."""
        ...

    def stat(self, path: str) -> FileEntry:
        """Return the entry of one file, raising FileNotFoundError if it is gone."""
        ...

    def read_chunks(self, path: str) -> Iterator[bytes]:
        """Yield the bytes of one file in chunks."""
        ...


def list_files(volume: VolumeSource, path: str) -> list[FileEntry]:
    """List the regular files below `path`, sorted by path."""
    entries = [entry for entry in volume.iterdir(path, recursive=True)]
    return sorted((e for e in entries if e.type == FileEntryType.FILE), key=lambda e: e.path)


def list_children(volume: VolumeSource, path: str) -> list[str]:
    """Return the names of the folders directly below `path`, sorted."""
    names = set()
    prefix = f"{path.rstrip('/')}/" if path else ""
    for entry in volume.iterdir(path, recursive=False):
        if entry.type != FileEntryType.DIRECTORY:
            continue
        relative = entry.path[len(prefix) :] if entry.path.startswith(prefix) else entry.path
        name = relative.strip("/").split("/")[0]
        if name:
            names.add(name)
    return sorted(names)
