"""A cache of (volume, path, size, mtime, ctime) -> SHA256, so unchanged files need not be re-read.

Trusting it is a choice the sync reports: every file it skips this way is counted, and
`gnosis sync --full` ignores the cache and re-reads everything.

The inode change time (ctime) is part of the key because a program can restore a file's mtime
after a same-size edit (`touch -d`, `rsync --times`), but no program can set ctime back.
"""

import os
import sqlite3
import threading
from pathlib import Path

from gnosis_assets.volumes.base import FileEntry, VolumeSource
from gnosis_assets.volumes.local import LocalVolume

TABLE = "file_hashes_v2"  # v1 had no ctime column; its rows are no longer trusted


def inode_change_ns(volume: VolumeSource, entry: FileEntry) -> int:
    """Return the file's inode change time in nanoseconds, or 0 where the volume has none.

    NOTE: Modal volumes report a whole-second mtime and no ctime, so there a same-size edit
    with the mtime restored is still trusted; `gnosis sync --full` re-reads it.
    """
    if not isinstance(volume, LocalVolume):
        return 0
    try:
        return os.lstat(volume.root / entry.path).st_ctime_ns
    except OSError:
        return 0


class HashCache:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._connection = sqlite3.connect(path, check_same_thread=False, timeout=30)
        with self._lock, self._connection:
            self._connection.execute("PRAGMA journal_mode=WAL")
            self._connection.execute(
                f"CREATE TABLE IF NOT EXISTS {TABLE} ("
                " volume TEXT, path TEXT, size INTEGER, mtime_ns INTEGER, ctime_ns INTEGER,"
                " sha256 TEXT, PRIMARY KEY (volume, path))"
            )

    def lookup(
        self, volume: str, path: str, size: int, mtime_ns: int, ctime_ns: int = 0
    ) -> str | None:
        with self._lock:
            row = self._connection.execute(
                f"SELECT sha256 FROM {TABLE}"  # noqa: S608 - TABLE is a constant
                " WHERE volume = ? AND path = ? AND size = ? AND mtime_ns = ? AND ctime_ns = ?",
                (volume, path, size, mtime_ns, ctime_ns),
            ).fetchone()
        return row[0] if row else None

    def store(
        self, volume: str, path: str, size: int, mtime_ns: int, sha256: str, ctime_ns: int = 0
    ) -> None:
        with self._lock, self._connection:
            self._connection.execute(
                f"INSERT OR REPLACE INTO {TABLE} VALUES (?, ?, ?, ?, ?, ?)",  # noqa: S608
                (volume, path, size, mtime_ns, ctime_ns, sha256),
            )

    def close(self) -> None:
        with self._lock:
            self._connection.close()
