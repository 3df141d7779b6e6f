"""ModalVolume against a stand-in for modal.Volume: listings, reads, faults and a sync over it.

No Modal server is contacted: `FakeModalVolume` serves a copy of the sample volumes with the
real `modal.volume.FileEntry` type and raises modal's own exception classes.
"""

import shutil
from pathlib import Path

import pytest
from modal.exception import AuthError, NotFoundError

from gnosis_assets.defs.fingerprints import VolumeCursor
from gnosis_assets.defs.watch import WatchLimits, plan_tick
from gnosis_assets.settings import SAMPLE_VOLUMES
from gnosis_assets.sync.context import SyncContext
from gnosis_assets.sync.datasets import sync_dataset_version
from gnosis_assets.volumes.base import FileEntryType, VolumeError, list_children, list_files
from gnosis_assets.volumes.local import LocalVolume
from gnosis_assets.volumes.modal_volume import ModalVolume
from gnosis_assets_tests.helpers import engine_context
from gnosis_assets_tests.remote.fake_modal import FakeModalVolume

DATASETS = "veridica-datasets"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    shutil.copytree(SAMPLE_VOLUMES / DATASETS, tmp_path / DATASETS)
    return tmp_path / DATASETS


def modal_volume(fake: FakeModalVolume) -> ModalVolume:
    return ModalVolume(DATASETS, loader=lambda name, environment: fake)


def sync_context(tmp_path: Path, volume: ModalVolume) -> SyncContext:
    return engine_context(tmp_path, volume)


def test_listing_matches_local_folder(root: Path) -> None:
    remote = list_files(modal_volume(FakeModalVolume(root)), "chembl")
    local = list_files(LocalVolume(root, DATASETS), "chembl")

    assert [(e.path, e.size, e.mtime, e.type) for e in remote] == [
        (e.path, e.size, e.mtime, e.type) for e in local
    ]
    assert all(entry.mtime_ns is None for entry in remote)
    assert list_children(modal_volume(FakeModalVolume(root)), "") == ["bindingdb", "chembl", "gdsc"]


def test_read_chunks_returns_file_bytes(root: Path) -> None:
    path = "gdsc/gdsc_v17/IC50_v17.csv.gz"

    data = b"".join(modal_volume(FakeModalVolume(root)).read_chunks(path))

    assert data == (root / path).read_bytes()


def test_stat_returns_one_file(root: Path) -> None:
    entry = modal_volume(FakeModalVolume(root)).stat("chembl/chembl_27/EGFR_compounds.csv")

    assert entry.type == FileEntryType.FILE
    assert entry.size == (root / "chembl/chembl_27/EGFR_compounds.csv").stat().st_size


@pytest.mark.parametrize(
    ("error", "detail"),
    [
        (NotFoundError("Volume 'veridica-datasets' not found"), "was not found"),
        (AuthError("Token missing"), "credentials are missing or were rejected"),
    ],
)
def test_open_failure_names_volume_and_fix(error: Exception, detail: str) -> None:
    def loader(name: str, environment: str | None) -> FakeModalVolume:
        raise error

    with pytest.raises(VolumeError) as raised:
        list(ModalVolume(DATASETS, loader=loader).iterdir(""))

    message = str(raised.value)
    assert DATASETS in message
    assert detail in message
    assert "modal token new" in message
    assert "modal volume list" in message


def test_listing_timeout_raises_volume_error(root: Path) -> None:
    volume = modal_volume(FakeModalVolume(root, timeout_after=2))

    with pytest.raises(VolumeError, match="timed out"):
        list(volume.iterdir("", recursive=True))


def test_sync_over_modal_volume_publishes(tmp_path: Path, root: Path) -> None:
    context = sync_context(tmp_path, modal_volume(FakeModalVolume(root)))

    result = sync_dataset_version(context, "bindingdb", "bindingdb_2015m10")

    assert result.status == "published"
    assert result.metadata is not None
    names = [item["name"] for item in result.metadata["files"]]
    assert names == ["BindingDB_All_header.txt", "bindings-drugbank-collapsed.tsv"]
    stored = tmp_path / "store" / "datasets" / "bindingdb" / "bindingdb_2015m10"
    for name in names:
        source = root / "bindingdb" / "bindingdb_2015m10" / name
        assert (stored / name).read_bytes() == source.read_bytes()
    assert result.metadata["source_location"] == f"modal volume {DATASETS}"


def test_sync_read_timeout_fails_version(tmp_path: Path, root: Path) -> None:
    broken = "chembl/chembl_27/EGFR_compounds.csv"
    context = sync_context(tmp_path, modal_volume(FakeModalVolume(root, fail_paths=(broken,))))

    result = sync_dataset_version(context, "chembl", "chembl_27")

    assert result.status == "failed"
    assert result.error is not None
    assert f"reading {broken} failed" in result.error
    assert not (tmp_path / "store" / "datasets" / "chembl" / "chembl_27" / "metadata.json").exists()


def test_sensor_tick_stops_at_failed_version(root: Path) -> None:
    volume = modal_volume(FakeModalVolume(root, fail_paths=("chembl/chembl_27",)))

    names = ["bindingdb", "chembl", "gdsc"]

    plan = plan_tick(volume, names, VolumeCursor(), lambda name: set(), WatchLimits(0))

    assert [run.run_key.split("@")[0] for run in plan.runs] == ["bindingdb/bindingdb_2015m10"]
    assert not plan.complete
    assert "timed out" in plan.errors[0]
    assert "chembl/chembl_27" not in plan.cursor.synced


def test_partial_listing_does_not_flag_missing(root: Path) -> None:
    names = ["bindingdb", "chembl", "gdsc"]
    (root / "chembl" / "chembl_28").mkdir()
    (root / "chembl" / "chembl_28" / "a.csv").write_bytes(b"x\n1\n")
    limits = WatchLimits(settle_seconds=0)
    full = modal_volume(FakeModalVolume(root))
    partial = modal_volume(FakeModalVolume(root, truncate_after=1))

    first = plan_tick(full, names, VolumeCursor(), lambda name: set(), limits)
    cut = plan_tick(partial, names, first.cursor, lambda name: set(), limits)
    whole = plan_tick(full, names, cut.cursor, lambda name: set(), limits)

    assert len(first.runs) == 4
    assert cut.newly_missing == []
    assert cut.runs == []
    assert cut.cursor.absent == ["chembl/chembl_28"]
    assert whole.newly_missing == []
    assert whole.runs == []
    assert whole.cursor.absent == []
