"""A stand-in for `modal.Volume` over a local folder, with injectable faults.

It has the method names and return types of modal 1.6's `Volume` (`iterdir`, `listdir`,
`read_file`) and returns real `modal.volume.FileEntry` objects, so `ModalVolume` runs its
real conversion and error handling against it.
"""

import os
import stat
from collections.abc import Iterator
from pathlib import Path

from modal.exception import NotFoundError
from modal.volume import FileEntry, FileEntryType

READ_CHUNK = 64 * 1024


class FakeModalVolume:
    """A folder served like a Modal volume.

    - `timeout_after`: raise TimeoutError after yielding that many entries of one listing.
    - `truncate_after`: stop a non-recursive listing silently after that many entries, as a
      listing cut short would look to the caller.
    - `fail_paths`: listings or reads of these paths raise TimeoutError at once.
    """

    def __init__(
        self,
        root: Path,
        *,
        timeout_after: int | None = None,
        truncate_after: int | None = None,
        fail_paths: tuple[str, ...] = (),
    ) -> None:
        self.root = root
        self.timeout_after = timeout_after
        self.truncate_after = truncate_after
        self.fail_paths = fail_paths
        self.calls: list[tuple[str, str]] = []

    def _entry(self, path: Path) -> FileEntry:
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            kind = FileEntryType.SYMLINK
        elif stat.S_ISDIR(info.st_mode):
            kind = FileEntryType.DIRECTORY
        else:
            kind = FileEntryType.FILE
        return FileEntry(
            path=path.relative_to(self.root).as_posix(),
            type=kind,
            mtime=int(info.st_mtime),
            size=info.st_size,
        )

    def _walk(self, folder: Path, recursive: bool) -> Iterator[FileEntry]:
        for child in sorted(os.scandir(folder), key=lambda item: item.name):
            path = Path(child.path)
            entry = self._entry(path)
            yield entry
            if recursive and entry.type == FileEntryType.DIRECTORY:
                yield from self._walk(path, recursive)

    def iterdir(self, path: str, *, recursive: bool = True) -> Iterator[FileEntry]:
        self.calls.append(("iterdir", path))
        relative = path.strip("/")
        if relative in self.fail_paths:
            raise TimeoutError(f"listing {path} timed out")
        top = self.root / relative if relative else self.root
        if not top.exists():
            raise NotFoundError(f"No such file or directory: {path}")
        if not top.is_dir():
            yield self._entry(top)  # Modal lists a file path as that one file
            return
        for count, entry in enumerate(self._walk(top, recursive)):
            if self.timeout_after is not None and count >= self.timeout_after:
                raise TimeoutError(f"listing {path} timed out after {count} entries")
            if not recursive and self.truncate_after is not None and count >= self.truncate_after:
                return
            yield entry

    def listdir(self, path: str, *, recursive: bool = False) -> list[FileEntry]:
        return list(self.iterdir(path, recursive=recursive))

    def read_file(self, path: str) -> Iterator[bytes]:
        self.calls.append(("read_file", path))
        if path.strip("/") in self.fail_paths:
            raise TimeoutError(f"reading {path} timed out")
        full = self.root / path.strip("/")
        if not full.is_file():
            raise NotFoundError(f"No such file: {path}")
        with full.open("rb") as handle:
            while chunk := handle.read(READ_CHUNK):
                yield chunk
