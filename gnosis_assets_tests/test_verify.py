"""`gnosis verify` against a synced store: clean, one flipped byte, one deleted object, extras."""

from pathlib import Path

from gnosis_assets.registry.client import open_registry
from gnosis_assets.settings import Settings
from gnosis_assets.stores.local import LocalStore
from gnosis_assets.verify import verify_store
from gnosis_assets_tests.helpers import store_for, sync

TARGET = "datasets/chembl/chembl_27/EGFR_compounds.csv"


def run_verify(settings: Settings, remote: bool = False):
    with open_registry(settings) as registry:
        return verify_store(store_for(settings), registry, remote=remote)


def flip_first_byte(settings: Settings, key: str) -> None:
    """Rewrite an object with one byte changed, keeping its size and recorded metadata."""
    store = store_for(settings)
    data = bytearray(b"".join(store.get_chunks(key)))
    data[100] ^= 0x01
    if isinstance(store, LocalStore):
        (Path(settings.store) / key).write_bytes(bytes(data))
        return
    info = store.head(key)
    assert info is not None
    # Put the tampered bytes back with the old SHA256 metadata, as a careless copy tool would.
    store.client.put_object(  # type: ignore[attr-defined]
        Bucket=store.bucket,  # type: ignore[attr-defined]
        Key=store._key(key),  # type: ignore[attr-defined]
        Body=bytes(data),
        Metadata=info.metadata,
    )


def test_verify_passes_after_sync(product_env: Settings) -> None:
    sync(product_env)
    report = run_verify(product_env)
    assert report.ok, report.problems
    assert report.objects_checked == 22
    assert set(report.per_dataset.values()) == {"ok"}


def test_verify_catches_flipped_byte(product_env: Settings) -> None:
    sync(product_env)
    flip_first_byte(product_env, TARGET)
    report = run_verify(product_env)
    kinds = [(problem.kind, problem.key) for problem in report.problems]
    assert not report.ok
    assert ("mismatch", TARGET) in kinds
    assert len(kinds) == 1
    assert report.per_dataset["chembl/chembl_27"] == "failed"
    assert report.per_dataset["gdsc/gdsc_v17"] == "ok"


def test_verify_remote_catches_flipped_byte(product_env: Settings) -> None:
    sync(product_env)
    flip_first_byte(product_env, TARGET)
    report = run_verify(product_env, remote=True)
    assert ("mismatch", TARGET) in [(p.kind, p.key) for p in report.problems]


def test_verify_catches_deleted_object(product_env: Settings) -> None:
    sync(product_env)
    key = "models/gnosis-ii/v1/reports/val_scores.json"
    store_for(product_env).delete(key)
    report = run_verify(product_env)
    assert [(problem.kind, problem.key) for problem in report.problems] == [("missing", key)]


def test_verify_reports_unlisted_object(product_env: Settings) -> None:
    sync(product_env)
    key = "datasets/chembl/chembl_27/stray.csv"
    store_for(product_env).put_bytes(key, b"a,b\n1,2\n", content_type="text/csv")
    report = run_verify(product_env)
    assert [(problem.kind, problem.key) for problem in report.problems] == [("extra", key)]
