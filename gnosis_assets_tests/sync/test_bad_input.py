"""Bad input on the volumes: each broken dataset fails alone with a message that names the file
and line, publishes nothing, and the other datasets still sync."""

import gzip
from pathlib import Path

import pytest

from gnosis_assets.settings import Settings
from gnosis_assets_tests.helpers import keys_of, registry_counts, store_for, sync

CHEMBL = Path("veridica-datasets/chembl/chembl_27")


@pytest.fixture(params=["local"])
def store_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def failed(outcome, source: str) -> dict:
    return next(entry for entry in outcome.report["datasets"] if entry["source"] == source)


def assert_only_chembl_failed(settings: Settings, outcome) -> str:
    statuses = {entry["source"]: entry["status"] for entry in outcome.report["datasets"]}
    assert not outcome.ok
    assert statuses == {"bindingdb": "ok", "chembl": "failed", "gdsc": "ok"}
    assert keys_of(store_for(settings), "datasets/chembl/") == []
    assert registry_counts(settings)["datasets"] == 2
    return str(failed(outcome, "chembl")["error"])


def test_ragged_row_names_file_and_line(product_env: Settings, volumes: Path) -> None:
    path = volumes / CHEMBL / "EGFR_compounds.csv"
    lines = path.read_bytes().split(b"\n")
    lines[41] += b",extra"
    path.write_bytes(b"\n".join(lines))
    error = assert_only_chembl_failed(product_env, sync(product_env))
    assert "EGFR_compounds.csv, line 42" in error
    assert "expected 6 fields" in error


def test_invalid_utf8_names_file_and_line(product_env: Settings, volumes: Path) -> None:
    path = volumes / CHEMBL / "EGFR_compounds.csv"
    lines = path.read_bytes().split(b"\n")
    lines[9] = lines[9] + b"\xff"
    path.write_bytes(b"\n".join(lines))
    error = assert_only_chembl_failed(product_env, sync(product_env))
    assert "EGFR_compounds.csv, line 10" in error
    assert "invalid UTF-8" in error


def test_truncated_gzip_fails_dataset(product_env: Settings, volumes: Path) -> None:
    path = volumes / "veridica-datasets/gdsc/gdsc_v17/IC50_v17.csv.gz"
    path.write_bytes(path.read_bytes()[:50_000])
    outcome = sync(product_env)
    entry = failed(outcome, "gdsc")
    assert entry["status"] == "failed"
    assert "IC50_v17.csv.gz" in entry["error"]
    assert "gzip" in entry["error"]
    assert keys_of(store_for(product_env), "datasets/gdsc/") == []


def test_gz_name_without_gzip_content(product_env: Settings, volumes: Path) -> None:
    (volumes / CHEMBL / "plain.csv.gz").write_bytes(b"a,b\n1,2\n")
    error = assert_only_chembl_failed(product_env, sync(product_env))
    assert "plain.csv.gz" in error
    assert "not gzip" in error


def test_empty_csv_has_no_header(product_env: Settings, volumes: Path) -> None:
    (volumes / CHEMBL / "empty.csv").write_bytes(b"")
    error = assert_only_chembl_failed(product_env, sync(product_env))
    assert "empty.csv" in error
    assert "no header" in error


def test_empty_version_folder(product_env: Settings, volumes: Path) -> None:
    (volumes / "veridica-datasets/chembl/chembl_28").mkdir()
    outcome = sync(product_env)
    entry = next(e for e in outcome.report["datasets"] if e["version"] == "chembl_28")
    assert entry["status"] == "failed"
    assert "has no files" in entry["error"]
    assert registry_counts(product_env)["datasets"] == 3


def test_symlink_outside_volume_rejected(
    product_env: Settings, volumes: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "outside.csv"
    secret.write_text("a,b\n1,2\n")
    (volumes / CHEMBL / "linked.csv").symlink_to(secret)
    error = assert_only_chembl_failed(product_env, sync(product_env))
    assert "linked.csv" in error
    assert "symlink" in error


def test_unicode_normalization_twins_rejected(product_env: Settings, volumes: Path) -> None:
    nfc = "caf\u00e9.csv"
    nfd = "cafe\u0301.csv"
    (volumes / CHEMBL / nfc).write_text("a\n1\n")
    (volumes / CHEMBL / nfd).write_text("a\n2\n")
    error = assert_only_chembl_failed(product_env, sync(product_env))
    assert "Unicode normalization" in error


def test_reserved_name_rejected(product_env: Settings, volumes: Path) -> None:
    (volumes / CHEMBL / "metadata.json").write_text("{}")
    error = assert_only_chembl_failed(product_env, sync(product_env))
    assert "metadata.json" in error


def test_utf8_bom_and_spaces_are_published(product_env: Settings, volumes: Path) -> None:
    (volumes / CHEMBL / "with space.csv").write_bytes(b"\xef\xbb\xbfa,b\r\n1,2")
    outcome = sync(product_env)
    assert outcome.ok, outcome.report
    keys = keys_of(store_for(product_env), "datasets/chembl/chembl_27/")
    assert "datasets/chembl/chembl_27/with space.csv" in keys


def test_gzip_tsv_is_profiled(product_env: Settings, volumes: Path) -> None:
    (volumes / CHEMBL / "extra.tsv.gz").write_bytes(gzip.compress(b"x\ty\n1\t2\n3\t4\n"))
    outcome = sync(product_env)
    assert outcome.ok, outcome.report
    assert registry_counts(product_env)["datasets"] == 3


def test_model_declaring_unpublished_dataset(product_env: Settings, volumes: Path) -> None:
    manifest = volumes / "veridica-models/gnosis-i/v1/model.yaml"
    manifest.write_text(manifest.read_text().replace("chembl_27", "chembl_99"))
    outcome = sync(product_env)
    entry = next(e for e in outcome.report["models"] if e["model"] == "gnosis-i")
    assert entry["status"] == "failed"
    assert "chembl/chembl_99" in entry["error"]
    assert "not published" in entry["error"]
    assert registry_counts(product_env)["models"] == 1


def test_unknown_source_is_reported(product_env: Settings, volumes: Path) -> None:
    (volumes / "veridica-datasets/tox21/v1").mkdir(parents=True)
    (volumes / "veridica-datasets/tox21/v1/a.csv").write_text("a\n1\n")
    outcome = sync(product_env)
    assert outcome.ok
    assert any("tox21" in warning for warning in outcome.warnings)
