"""Two syncs at once on one state folder, and a source file that grows while it is read."""

import fcntl
from collections.abc import Callable, Iterator
from pathlib import Path

from gnosis_assets.stores.local import LocalStore
from gnosis_assets.sync.context import SyncContext
from gnosis_assets.sync.datasets import sync_dataset_version
from gnosis_assets.volumes.base import FileEntry
from gnosis_assets.volumes.local import LocalVolume
from gnosis_assets_tests.faults.conftest import Reference, TargetFactory
from gnosis_assets_tests.faults.harness import (
    CLI_TIMEOUT,
    assert_converged,
    run_cli,
    snapshot,
    start_cli,
)
from gnosis_assets_tests.helpers import engine_context

BUSY_MESSAGE = "another sync is running"


def test_sync_fails_fast_while_locked(blob_volumes: Path, target_factory: TargetFactory) -> None:
    target = target_factory(blob_volumes, "local")
    home = target.settings.home
    home.mkdir(parents=True)
    with (home / "sync.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = run_cli(target, "sync", timeout=60)

    assert result.returncode == 2
    assert BUSY_MESSAGE in result.stderr
    assert str(home / "sync.lock") in result.stderr


def test_two_syncs_at_once_converge(
    blob_volumes: Path,
    target_factory: TargetFactory,
    reference: Callable[[str], Reference],
) -> None:
    clean_state, _seconds = reference("local")
    target = target_factory(blob_volumes, "local")

    processes = [start_cli(target, "sync"), start_cli(target, "sync")]
    outputs = [process.communicate(timeout=CLI_TIMEOUT) for process in processes]
    codes = sorted(process.returncode for process in processes)

    # Either the second waited for nothing and failed on the lock, or the first had finished.
    assert codes in ([0, 0], [0, 2]), outputs
    for process, (_stdout, stderr) in zip(processes, outputs, strict=True):
        if process.returncode == 2:
            assert BUSY_MESSAGE in stderr
    assert_converged(snapshot(target), clean_state)


class GrowingVolume:
    """A local volume that appends a line to one file after yielding its first chunk."""

    def __init__(self, inner: LocalVolume, grow: str) -> None:
        self.inner = inner
        self.name = inner.name
        self.grow = grow

    def describe(self) -> str:
        return self.inner.describe()

    def iterdir(self, path: str, *, recursive: bool = True) -> Iterator[FileEntry]:
        return self.inner.iterdir(path, recursive=recursive)

    def stat(self, path: str) -> FileEntry:
        return self.inner.stat(path)

    def read_chunks(self, path: str) -> Iterator[bytes]:
        for index, chunk in enumerate(self.inner.read_chunks(path)):
            yield chunk
            if index == 0 and path.endswith(self.grow):
                with (self.inner.root / path).open("a", encoding="utf-8") as handle:
                    handle.write("3,4\n")


def make_context(tmp_path: Path, volume: LocalVolume | GrowingVolume) -> SyncContext:
    return engine_context(tmp_path, volume, run_id="growing-run")


def test_file_appended_during_read(tmp_path: Path) -> None:
    root = tmp_path / "veridica-datasets"
    (root / "ds" / "v1").mkdir(parents=True)
    table = root / "ds" / "v1" / "table.csv"
    table.write_text("a,b\n1,2\n", encoding="utf-8")
    local = LocalVolume(root, "veridica-datasets")

    first = sync_dataset_version(
        make_context(tmp_path, GrowingVolume(local, "table.csv")), "ds", "v1"
    )

    assert first.status == "failed"
    assert first.error is not None
    assert "table.csv changed while it was read" in first.error
    assert [info.key for info in LocalStore(tmp_path / "store").list("")] == []

    second = sync_dataset_version(make_context(tmp_path, local), "ds", "v1")

    assert second.status == "published", second.error
    assert second.metadata is not None
    assert second.metadata["files"][0]["rows"] == 2
    assert second.metadata["files"][0]["size"] == table.stat().st_size
