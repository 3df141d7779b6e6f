"""A volume read as a local folder: a mounted Modal volume, or the sample volumes."""

import os
import stat
from collections.abc import Iterator
from pathlib import Path

from gnosis_assets.lib.hashing import CHUNK_SIZE
from gnosis_assets.volumes.base import FileEntry, FileEntryType, VolumeError


class LocalVolume:
    """A folder that has the layout of a Modal volume.

    Symlinks are listed as SYMLINK entries and never followed, so a link cannot pull files from
    outside the volume into a dataset.
    """

    def __init__(self, root: Path, name: str) -> None:
        self.root = root
        self.name = name

    def describe(self) -> str:
        return f"folder {self.root}"

    def _resolve(self, path: str) -> Path:
        return self.root / path if path else self.root

    def iterdir(self, path: str, *, recursive: bool = True) -> Iterator[FileEntry]:
        top = self._resolve(path)
        if not self.root.is_dir():
            raise VolumeError(
                f"volume {self.name!r}: folder {self.root} does not exist or is not a folder. "
                "Set GNOSIS_VOLUMES to the folder that contains it."
            )
        if not top.exists():
            return
        try:
            yield from self._walk(top, recursive)
        except PermissionError as error:
            raise VolumeError(
                f"volume {self.name!r}: cannot read {error.filename}: permission denied. "
                "Give the sync user read access to the volume folder."
            ) from error

    def _walk(self, folder: Path, recursive: bool) -> Iterator[FileEntry]:
        with os.scandir(folder) as scan:
            children = sorted(scan, key=lambda child: child.name)
        for child in children:
            entry = self._entry(Path(child.path), child.stat(follow_symlinks=False))
            yield entry
            if recursive and entry.type == FileEntryType.DIRECTORY:
                yield from self._walk(Path(child.path), recursive)

    def _entry(self, path: Path, info: os.stat_result) -> FileEntry:
        relative = path.relative_to(self.root).as_posix()
        mode = info.st_mode
        if stat.S_ISLNK(mode):
            kind = FileEntryType.SYMLINK
        elif stat.S_ISDIR(mode):
            kind = FileEntryType.DIRECTORY
        elif stat.S_ISREG(mode):
            kind = FileEntryType.FILE
        elif stat.S_ISFIFO(mode):
            kind = FileEntryType.FIFO
        else:
            kind = FileEntryType.UNSPECIFIED
        return FileEntry(
            path=relative,
            type=kind,
            mtime=int(info.st_mtime),
            size=info.st_size,
            mtime_ns=info.st_mtime_ns,
        )

    def stat(self, path: str) -> FileEntry:
        full = self._resolve(path)
        return self._entry(full, full.lstat())

    def read_chunks(self, path: str) -> Iterator[bytes]:
        full = self._resolve(path)
        if full.is_symlink():
            raise VolumeError(f"volume {self.name!r}: {path} is a symlink and is not read")
        with full.open("rb") as handle:
            while chunk := handle.read(CHUNK_SIZE):
                yield chunk
