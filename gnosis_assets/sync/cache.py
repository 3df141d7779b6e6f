"""A cache of (volume, path, size, mtime) -> SHA256, so unchanged files need not be re-read.

Trusting it is a choice the sync reports: every file it skips this way is counted, and
`gnosis sync --full` ignores the cache and re-reads everything.
"""

import sqlite3
import threading
from pathlib import Path


class HashCache:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._connection = sqlite3.connect(path, check_same_thread=False, timeout=30)
        with self._lock, self._connection:
            self._connection.execute("PRAGMA journal_mode=WAL")
            self._connection.execute(
                "CREATE TABLE IF NOT EXISTS file_hashes ("
                " volume TEXT, path TEXT, size INTEGER, mtime_ns INTEGER, sha256 TEXT,"
                " PRIMARY KEY (volume, path))"
            )

    def lookup(self, volume: str, path: str, size: int, mtime_ns: int) -> str | None:
        with self._lock:
            row = self._connection.execute(
                "SELECT sha256 FROM file_hashes"
                " WHERE volume = ? AND path = ? AND size = ? AND mtime_ns = ?",
                (volume, path, size, mtime_ns),
            ).fetchone()
        return row[0] if row else None

    def store(self, volume: str, path: str, size: int, mtime_ns: int, sha256: str) -> None:
        with self._lock, self._connection:
            self._connection.execute(
                "INSERT OR REPLACE INTO file_hashes VALUES (?, ?, ?, ?, ?)",
                (volume, path, size, mtime_ns, sha256),
            )

    def close(self) -> None:
        with self._lock:
            self._connection.close()
