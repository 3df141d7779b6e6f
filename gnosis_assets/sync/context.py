"""The state one sync run shares: settings, volumes, store, cache, provenance and progress."""

import logging
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import TextIO

from gnosis_assets import __version__
from gnosis_assets.settings import PACKAGE_ROOT, Settings
from gnosis_assets.stores.base import ObjectStore
from gnosis_assets.sync.cache import HashCache
from gnosis_assets.volumes.base import VolumeSource


def utc_now() -> datetime:
    return datetime.now(tz=UTC)


def iso_utc(moment: datetime) -> str:
    """Format a time as UTC ISO-8601 with a `Z` suffix and microseconds."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@lru_cache(maxsize=1)
def git_commit() -> str:
    """Return the commit of the installed code, or "unknown" outside a git checkout."""
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=PACKAGE_ROOT,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    commit = result.stdout.strip()
    return commit if result.returncode == 0 and len(commit) == 40 else "unknown"


class Progress:
    """Counts files and bytes; redraws one line on a terminal, logs plain lines otherwise."""

    def __init__(self, log: logging.Logger, stream: TextIO | None = None) -> None:
        self._log = log
        self._stream = stream if stream is not None else sys.stderr
        self._interactive = self._stream.isatty()
        self._lock = threading.Lock()
        self.files = 0
        self.bytes = 0

    def advance(self, label: str, size: int, action: str) -> None:
        """Count one file; `action` is uploaded, unchanged or trusted (skipped unread)."""
        with self._lock:
            self.files += 1
            self.bytes += size
            if self._interactive:
                mib = self.bytes / (1024 * 1024)
                self._stream.write(f"\r  {self.files} files, {mib:.1f} MiB  {label[-60:]:<60}")
                self._stream.flush()
            else:
                self._log.info("%s %s (%d bytes)", action, label, size)

    def close(self) -> None:
        if self._interactive and self.files:
            self._stream.write("\n")
            self._stream.flush()


@dataclass
class SyncContext:
    settings: Settings
    datasets_volume: VolumeSource
    models_volume: VolumeSource
    store: ObjectStore
    cache: HashCache | None  # None with --full: every file is re-read
    run_id: str
    log: logging.Logger
    progress: Progress
    started_at: datetime = field(default_factory=utc_now)

    @property
    def product(self) -> dict[str, str]:
        return {"name": "gnosis-assets", "version": __version__, "git_commit": git_commit()}
