"""The API's refreshing cache: reuse within the time-to-live, background rebuilds, failures.

Uses a counting build function and short time-to-live values; no registry or server.
"""

import threading
import time

import pytest

from gnosis_assets.api.cache import RefreshingCache


class CountingBuild:
    """A build function that returns 1, 2, 3... and can be made to block or fail."""

    def __init__(self) -> None:
        self.calls = 0
        self.release = threading.Event()
        self.release.set()
        self.fail = False

    def __call__(self) -> int:
        self.release.wait(timeout=10)
        if self.fail:
            raise RuntimeError("registry unreachable")
        self.calls += 1
        return self.calls


def wait_for(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


def test_cache_reuses_value_within_ttl() -> None:
    build = CountingBuild()
    cache = RefreshingCache("test", build, ttl_s=60)

    assert cache.peek() is None
    assert cache.get() == 1
    assert cache.get() == 1
    assert cache.peek() == 1
    assert build.calls == 1


def test_cache_serves_stale_while_rebuilding() -> None:
    build = CountingBuild()
    cache = RefreshingCache("test", build, ttl_s=0.05)
    assert cache.get() == 1
    time.sleep(0.06)
    build.release.clear()

    assert cache.peek() == 1  # starts the rebuild, which blocks on `release`
    assert cache.peek() == 1
    build.release.set()
    wait_for(lambda: cache.peek() == 2)

    assert build.calls == 2


def test_cache_zero_ttl_builds_every_time() -> None:
    build = CountingBuild()
    cache = RefreshingCache("test", build, ttl_s=0)

    assert cache.get() == 1
    assert cache.get() == 2
    assert cache.peek() is None


def test_failed_rebuild_blocks_stale_value() -> None:
    build = CountingBuild()
    cache = RefreshingCache("test", build, ttl_s=0.05)
    assert cache.get() == 1
    time.sleep(0.06)
    build.fail = True

    cache.peek()  # starts a rebuild that fails in the background
    wait_for(lambda: cache.peek() is None)

    with pytest.raises(RuntimeError, match="registry unreachable"):
        cache.get()
    build.fail = False
    assert cache.get() == 2
    assert cache.peek() == 2


def test_concurrent_first_reads_build_once() -> None:
    build = CountingBuild()
    build.release.clear()
    cache = RefreshingCache("test", build, ttl_s=60)
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(cache.get())) for _ in range(8)]
    for thread in threads:
        thread.start()

    build.release.set()
    for thread in threads:
        thread.join(timeout=10)

    assert results == [1] * 8
    assert build.calls == 1
