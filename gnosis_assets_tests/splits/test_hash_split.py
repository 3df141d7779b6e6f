"""The hash strategy: assignment rules, stability and the bytes of the split files."""

import hashlib
import random
from pathlib import Path

from gnosis_assets.splits.strategies import HashAssigner

from .helpers import read_rows, run_split, split_of, split_rows


def test_every_row_in_exactly_one_split(many_keys_csv: Path, tmp_path: Path):
    run_split(many_keys_csv, tmp_path / "out", key_column="id")
    values = split_rows(tmp_path / "out", 0)
    all_keys = values["train"] + values["val"] + values["test"]
    assert sorted(all_keys) == sorted(f"K{index}" for index in range(2000))
    assert len(set(all_keys)) == len(all_keys)


def test_fractions_close_to_target(many_keys_csv: Path, tmp_path: Path):
    manifest = run_split(many_keys_csv, tmp_path / "out", key_column="id")
    fractions = {split: item["fraction"] for split, item in manifest.to_dict()["splits"].items()}
    assert abs(fractions["train"] - 0.8) < 0.05
    assert abs(fractions["val"] - 0.1) < 0.05
    assert abs(fractions["test"] - 0.1) < 0.05


def test_assignment_matches_documented_rule(many_keys_csv: Path, tmp_path: Path):
    run_split(many_keys_csv, tmp_path / "out", key_column="id", seed=42)
    placed = split_of(tmp_path / "out", 0)
    key = (42).to_bytes(8, "big")
    for value, split in list(placed.items())[:200]:
        digest = hashlib.blake2b(
            value.encode(), key=key, person=b"gnosis.split.v1", digest_size=16
        ).digest()
        number = int.from_bytes(digest[:8], "big")
        expected = "train" if number < 0.8 * 2**64 else "val" if number < 0.9 * 2**64 else "test"
        assert split == expected, value


def test_seed_changes_assignment(many_keys_csv: Path, tmp_path: Path):
    run_split(many_keys_csv, tmp_path / "seed0", key_column="id", seed=0)
    run_split(many_keys_csv, tmp_path / "seed1", key_column="id", seed=1)
    first = split_of(tmp_path / "seed0", 0)
    second = split_of(tmp_path / "seed1", 0)
    moved = sum(first[key] != second[key] for key in first)
    assert moved > 400


def test_row_order_does_not_change_membership(many_keys_csv: Path, tmp_path: Path):
    lines = many_keys_csv.read_text().splitlines()
    body = lines[1:]
    random.Random(3).shuffle(body)
    shuffled = tmp_path / "shuffled.csv"
    shuffled.write_text("\n".join([lines[0], *body]) + "\n")
    run_split(many_keys_csv, tmp_path / "a", key_column="id")
    run_split(shuffled, tmp_path / "b", key_column="id")
    assert split_of(tmp_path / "a", 0) == split_of(tmp_path / "b", 0)


def test_rows_keep_input_order(many_keys_csv: Path, tmp_path: Path):
    run_split(many_keys_csv, tmp_path / "out", key_column="id")
    for values in split_rows(tmp_path / "out", 0).values():
        numbers = [int(value[1:]) for value in values]
        assert numbers == sorted(numbers)


def test_append_keeps_old_assignments(many_keys_csv: Path, tmp_path: Path):
    run_split(many_keys_csv, tmp_path / "before", key_column="id")
    grown = tmp_path / "grown.csv"
    extra = "".join(f"NEW{index},1.0\n" for index in range(500))
    grown.write_text(many_keys_csv.read_text() + extra)
    run_split(grown, tmp_path / "after", key_column="id")
    before = split_of(tmp_path / "before", 0)
    after = split_of(tmp_path / "after", 0)
    assert all(after[key] == split for key, split in before.items())
    assert len(after) == 2500


def test_chunk_size_does_not_change_bytes(many_keys_csv: Path, tmp_path: Path):
    from gnosis_assets.splits import SplitConfig, split_file

    config = SplitConfig(file="rows.csv", key_column="id")
    big = split_file(many_keys_csv, config, tmp_path / "big").to_dict()
    small = split_file(many_keys_csv, config, tmp_path / "small", chunk_rows=7).to_dict()
    assert big == small


def test_egfr_cells_and_unnamed_index_kept(egfr_csv: Path, tmp_path: Path):
    run_split(egfr_csv, tmp_path / "out", key_column="molecule_chembl_id")
    header = read_rows(tmp_path / "out/train.csv")[0]
    source = egfr_csv.read_bytes().splitlines()
    assert header == read_rows(egfr_csv)[0]
    assert header[0] == ""
    written = set()
    for split in ("train", "val", "test"):
        written.update((tmp_path / "out" / f"{split}.csv").read_bytes().splitlines()[1:])
    assert written == set(source[1:])


def test_literal_na_cells_kept(tmp_path: Path):
    path = tmp_path / "na.csv"
    rows = [f"K{index},NA,None,nan,1.50,1e3," for index in range(300)]
    path.write_text("id,a,b,c,d,e,f\n" + "\n".join(rows) + "\n")
    run_split(path, tmp_path / "out", key_column="id")
    lines = set()
    for split in ("train", "val", "test"):
        lines.update((tmp_path / "out" / f"{split}.csv").read_text().splitlines()[1:])
    assert lines == set(rows)


def test_thresholds_are_exact_integers():
    assigner = HashAssigner(0, (0.8, 0.1, 0.1))
    assert int.from_bytes(assigner.train_below, "big") == int(0.8 * 2**64) << 64
    assert assigner.split_index(b"\x00" * 16) == 0
    assert assigner.split_index(b"\xff" * 16) == 2
