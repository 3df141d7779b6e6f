"""verify_split on intact split sets and on tampered split files."""

import json
from pathlib import Path

import pytest

from gnosis_assets.splits import SplitConfig, split_file, verify_split


@pytest.fixture
def split_set(egfr_csv: Path, tmp_path: Path):
    config = SplitConfig(file=egfr_csv.name, key_column="molecule_chembl_id")
    out_dir = tmp_path / "out"
    manifest = split_file(egfr_csv, config, out_dir)
    return egfr_csv, config, out_dir, manifest


def _failed(results) -> set[str]:
    return {result.name for result in results if not result.passed}


def test_intact_split_passes(split_set):
    results = verify_split(*split_set)
    assert [result.name for result in results] == [
        "files_match_manifest",
        "none_empty",
        "fractions_within_tolerance",
        "disjoint",
        "assigned_split",
        "complete",
        "reproducible",
    ]
    assert _failed(results) == set()


def test_manifest_from_json_accepted(split_set):
    input_path, config, out_dir, manifest = split_set
    stored = json.loads(manifest.to_json())
    assert _failed(verify_split(input_path, config, out_dir, stored)) == set()


def test_flipped_byte_fails(split_set):
    input_path, config, out_dir, manifest = split_set
    path = out_dir / "val.csv"
    data = bytearray(path.read_bytes())
    position = data.index(b"nM")
    data[position] = ord("u")
    path.write_bytes(bytes(data))
    failed = _failed(verify_split(input_path, config, out_dir, manifest))
    assert "files_match_manifest" in failed
    assert "complete" in failed
    assert "reproducible" in failed


def test_dropped_row_fails(split_set):
    input_path, config, out_dir, manifest = split_set
    path = out_dir / "test.csv"
    lines = path.read_bytes().split(b"\n")
    path.write_bytes(b"\n".join(lines[:5] + lines[6:]))
    failed = _failed(verify_split(input_path, config, out_dir, manifest))
    assert "files_match_manifest" in failed
    assert "complete" in failed
    assert "reproducible" in failed


def test_moved_row_fails(split_set):
    input_path, config, out_dir, manifest = split_set
    train = (out_dir / "train.csv").read_bytes().split(b"\n")
    moved = train.pop(10)
    (out_dir / "train.csv").write_bytes(b"\n".join(train))
    with (out_dir / "val.csv").open("ab") as handle:
        handle.write(moved + b"\n")
    failed = _failed(verify_split(input_path, config, out_dir, manifest))
    assert "files_match_manifest" in failed
    assert "assigned_split" in failed
    assert "reproducible" in failed
    assert "complete" not in failed


def test_copied_row_breaks_disjoint(split_set):
    input_path, config, out_dir, manifest = split_set
    train = (out_dir / "train.csv").read_bytes().split(b"\n")
    with (out_dir / "test.csv").open("ab") as handle:
        handle.write(train[3] + b"\n")
    failed = _failed(verify_split(input_path, config, out_dir, manifest))
    assert "disjoint" in failed
    assert "complete" in failed


def test_missing_file_fails(split_set):
    input_path, config, out_dir, manifest = split_set
    (out_dir / "val.csv").unlink()
    failed = _failed(verify_split(input_path, config, out_dir, manifest))
    assert "files_match_manifest" in failed
    assert "reproducible" in failed


def test_edited_manifest_fails(split_set):
    input_path, config, out_dir, manifest = split_set
    stored = json.loads(manifest.to_json())
    stored["seed"] = 99
    results = verify_split(input_path, config, out_dir, stored)
    assert _failed(results) == {"reproducible"}


def test_group_tolerance_reported(bindings_tsv: Path, tmp_path: Path):
    config = SplitConfig(
        file=bindings_tsv.name, key_column="drugbank_id", strategy="group", tolerance=0.001
    )
    manifest = split_file(bindings_tsv, config, tmp_path / "out")
    results = {r.name: r for r in verify_split(bindings_tsv, config, tmp_path / "out", manifest)}
    assert not results["fractions_within_tolerance"].passed
    assert "train_fraction" in results["fractions_within_tolerance"].metadata
