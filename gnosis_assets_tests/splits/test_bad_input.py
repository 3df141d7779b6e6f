"""Input that cannot be split: each case raises SplitError and leaves no split files."""

import gzip
from pathlib import Path

import pytest

from gnosis_assets.splits import SplitError
from gnosis_assets.splits.strategies import HashAssigner

from .helpers import run_split


def _no_split_files(out_dir: Path) -> bool:
    return not any(out_dir.glob("*.csv*"))


def test_missing_key_column_lists_columns(many_keys_csv: Path, tmp_path: Path):
    with pytest.raises(SplitError) as caught:
        run_split(many_keys_csv, tmp_path / "out", key_column="molecule_id")
    assert "'molecule_id' not found" in str(caught.value)
    assert "['id', 'value']" in str(caught.value)
    assert _no_split_files(tmp_path / "out")


def test_empty_keys_counted_with_lines(tmp_path: Path):
    path = tmp_path / "empty.csv"
    rows = [f"K{index},1" if index % 100 else ",1" for index in range(1000)]
    rows[5] = "   ,1"
    path.write_text("id,value\n" + "\n".join(rows) + "\n")
    with pytest.raises(SplitError) as caught:
        run_split(path, tmp_path / "out", key_column="id")
    message = str(caught.value)
    assert "11 rows have an empty" in message
    assert "line 2: ''" in message
    assert "line 7: '   '" in message
    assert _no_split_files(tmp_path / "out")


def test_duplicate_keys_rejected_by_default(tmp_path: Path):
    path = tmp_path / "dup.csv"
    rows = [f"K{index},1" for index in range(500)] + ["K3,2", "K3,3", "K9,2"]
    path.write_text("id,value\n" + "\n".join(rows) + "\n")
    with pytest.raises(SplitError) as caught:
        run_split(path, tmp_path / "out", key_column="id")
    message = str(caught.value)
    assert "2 values of key column 'id' occur on more than one row (3 extra rows)" in message
    assert "'K3' on lines 5, 502, 503" in message
    assert "duplicate_keys: keep" in message
    assert _no_split_files(tmp_path / "out")


def test_duplicate_keys_kept_together(tmp_path: Path):
    path = tmp_path / "dup.csv"
    rows = [f"K{index},1" for index in range(500)] + [f"K{index},2" for index in range(100)]
    path.write_text("id,value\n" + "\n".join(rows) + "\n")
    manifest = run_split(path, tmp_path / "out", key_column="id", duplicate_keys="keep")
    counts = manifest.to_dict()["counts"]
    assert counts["duplicate_keys"] == 100
    assert counts["duplicate_key_rows"] == 100
    for split in ("train", "val", "test"):
        keys = [line.split(",")[0] for line in (tmp_path / f"out/{split}.csv").read_text().split()]
        for other in {"train", "val", "test"} - {split}:
            other_text = (tmp_path / f"out/{other}.csv").read_text()
            other_keys = {line.split(",")[0] for line in other_text.split()}
            assert not set(keys[1:]) & other_keys


@pytest.mark.parametrize(("rows", "needed"), [(5, 10), (9, 10)])
def test_too_few_rows_says_how_many(tmp_path: Path, rows: int, needed: int):
    path = tmp_path / "small.csv"
    path.write_text("id\n" + "".join(f"K{index}\n" for index in range(rows)))
    with pytest.raises(SplitError, match=f"{rows} distinct keys are too few.*at least {needed}"):
        run_split(path, tmp_path / "out", key_column="id")


def test_too_few_groups_says_how_many(tmp_path: Path):
    path = tmp_path / "groups.csv"
    path.write_text("g,v\n" + "".join(f"G{index % 4},{index}\n" for index in range(400)))
    with pytest.raises(SplitError, match=r"4 groups are too few.*at least 10"):
        run_split(path, tmp_path / "out", key_column="g", strategy="group")


def test_empty_split_says_what_to_do(tmp_path: Path):
    keys = [f"K{index}".encode() for index in range(12)]

    def leaves_test_empty(seed: int) -> bool:
        assigner = HashAssigner(seed, (0.5, 0.4, 0.1))
        return all(assigner.split_index(assigner.digest(key)) != 2 for key in keys)

    seed = next(seed for seed in range(1000) if leaves_test_empty(seed))
    path = tmp_path / "few.csv"
    path.write_text("id\n" + "".join(f"{key.decode()}\n" for key in keys))
    with pytest.raises(SplitError, match="\\['test'\\] received no rows") as caught:
        run_split(path, tmp_path / "out", key_column="id", fractions=(0.5, 0.4, 0.1), seed=seed)
    assert "use a larger file" in str(caught.value)


def test_ragged_row_names_line(tmp_path: Path):
    path = tmp_path / "ragged.csv"
    rows = [f"K{index},1" for index in range(300)]
    rows[41] = "K41,1,extra"
    path.write_text("id,value\n" + "\n".join(rows) + "\n")
    with pytest.raises(SplitError, match="line 43 has 3 cells but the header has 2"):
        run_split(path, tmp_path / "out", key_column="id")


def test_unterminated_quote_names_line(tmp_path: Path):
    path = tmp_path / "quote.csv"
    path.write_text('id,value\nK1,1\nK2,"open\nK3,3\n')
    with pytest.raises(SplitError, match="starting on line 3 is not valid CSV"):
        run_split(path, tmp_path / "out", key_column="id")


def test_empty_file(tmp_path: Path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(SplitError, match="empty"):
        run_split(path, tmp_path / "out", key_column="id")


def test_truncated_gzip(tmp_path: Path):
    path = tmp_path / "rows.csv.gz"
    data = gzip.compress(("id\n" + "".join(f"K{i}\n" for i in range(5000))).encode())
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(SplitError, match="could not read"):
        run_split(path, tmp_path / "out", key_column="id")
    assert _no_split_files(tmp_path / "out")


def test_gz_name_without_gzip_data(tmp_path: Path):
    path = tmp_path / "rows.csv.gz"
    path.write_text("id\nK1\n")
    with pytest.raises(SplitError, match="not gzip data"):
        run_split(path, tmp_path / "out", key_column="id")


def test_duplicate_header_name(tmp_path: Path):
    path = tmp_path / "twice.csv"
    path.write_text("id,id\nK1,K2\n")
    with pytest.raises(SplitError, match="appears 2 times"):
        run_split(path, tmp_path / "out", key_column="id")


def test_failed_run_keeps_previous_files(many_keys_csv: Path, tmp_path: Path):
    run_split(many_keys_csv, tmp_path / "out", key_column="id")
    before = (tmp_path / "out/train.csv").read_bytes()
    bad = tmp_path / "bad.csv"
    bad.write_text("id,value\n,1\n")
    with pytest.raises(SplitError):
        run_split(bad, tmp_path / "out", key_column="id")
    assert (tmp_path / "out/train.csv").read_bytes() == before
    assert not list((tmp_path / "out").glob("*.partial"))
