"""An in-process value that is rebuilt at most once per time-to-live, in the background.

Registry-wide responses (stats, the discover summary) cost scans of whole collections: about
90 to 150 ms at 1,000 dataset versions on SecantusDB (docs/benchmarks/api.md). They change only
when a sync runs, so a copy up to `ttl_s` seconds old is served instead. When the copy expires,
the first reader starts one background rebuild, and every reader gets the old copy until the
rebuild finishes. So only the first request and the one after a failed rebuild wait for a scan.
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class _Entry(Generic[T]):
    value: T
    built_at: float  # time.monotonic() when the build started


class RefreshingCache(Generic[T]):
    """A value from `build()`, reused for `ttl_s` seconds; `ttl_s <= 0` disables caching."""

    def __init__(self, name: str, build: Callable[[], T], ttl_s: float) -> None:
        self.name = name
        self._build = build
        self._ttl_s = ttl_s
        self._entry: _Entry[T] | None = None
        self._failed = False  # the last background rebuild raised, so serve nothing stale
        self._lock = threading.Lock()  # held by whichever thread is building

    def peek(self) -> T | None:
        """Return a usable value without blocking, or None if only `get()` can provide one.

        An expired value is still returned, after starting a background rebuild if none runs.
        """
        entry = self._entry
        if entry is None or self._failed or self._ttl_s <= 0:
            return None
        if time.monotonic() - entry.built_at >= self._ttl_s and self._lock.acquire(blocking=False):
            thread = threading.Thread(
                target=self._rebuild_in_background, name=f"cache-{self.name}", daemon=True
            )
            thread.start()
        return entry.value

    def get(self) -> T:
        """Return a usable value, building it in this thread when there is none."""
        value = self.peek()
        if value is not None:
            return value
        if self._ttl_s <= 0:
            return self._build()
        with self._lock:
            entry = self._entry
            if entry is not None and not self._failed:
                return entry.value  # another thread built it while this one waited
            return self._store_new_value()

    def _store_new_value(self) -> T:
        started = time.monotonic()
        value = self._build()
        self._entry = _Entry(value, started)
        self._failed = False
        return value

    def _rebuild_in_background(self) -> None:
        try:
            self._store_new_value()
        except Exception:
            # The next request rebuilds in its own thread and reports the error to its client.
            self._failed = True
            log.exception("rebuilding the cached %s failed", self.name)
        finally:
            self._lock.release()
