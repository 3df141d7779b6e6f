"""Input formats: gzip, TSV, CRLF, quoting and wide matrices, and the canonical output bytes."""

import gzip
from pathlib import Path

from .helpers import read_rows, run_split, split_rows


def _all_lines(out_dir: Path) -> list[bytes]:
    lines = []
    for split in ("train", "val", "test"):
        lines += (out_dir / f"{split}.csv").read_bytes().split(b"\n")[1:-1]
    return sorted(lines)


def _rows_csv(count: int) -> str:
    return "id,value\n" + "".join(f"K{index},{index}\n" for index in range(count))


def test_gzip_matches_plain(tmp_path: Path):
    plain = tmp_path / "rows.csv"
    plain.write_text(_rows_csv(500))
    packed = tmp_path / "rows.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    first = run_split(plain, tmp_path / "plain", key_column="id").to_dict()
    second = run_split(packed, tmp_path / "packed", key_column="id").to_dict()
    assert first["splits"] == second["splits"]
    assert second["input"]["compression"] == "gzip"


def test_gzip_input_hash_is_of_compressed_file(tmp_path: Path):
    import hashlib

    packed = tmp_path / "rows.csv.gz"
    packed.write_bytes(gzip.compress(_rows_csv(300).encode()))
    manifest = run_split(packed, tmp_path / "out", key_column="id").to_dict()
    assert manifest["input"]["sha256"] == hashlib.sha256(packed.read_bytes()).hexdigest()


def test_tsv_written_as_csv(tmp_path: Path):
    path = tmp_path / "rows.tsv"
    path.write_text("id\tname\n" + "".join(f"K{index}\tname, {index}\n" for index in range(300)))
    manifest = run_split(path, tmp_path / "out", key_column="id").to_dict()
    assert manifest["input"]["delimiter"] == "\t"
    assert read_rows(tmp_path / "out/train.csv")[0] == ["id", "name"]
    assert b'K1,"name, 1"' in _all_lines(tmp_path / "out")


def test_tsv_sample_splits(bindings_tsv: Path, tmp_path: Path):
    manifest = run_split(bindings_tsv, tmp_path / "out", key_column="drugbank_id", strategy="group")
    source_rows = len(bindings_tsv.read_text().splitlines()) - 1
    assert manifest.rows == source_rows


def test_crlf_without_final_newline(tmp_path: Path):
    path = tmp_path / "crlf.csv"
    path.write_bytes(b"id,value\r\n" + b"\r\n".join(b"K%d,%d" % (i, i) for i in range(300)))
    run_split(path, tmp_path / "out", key_column="id")
    lines = _all_lines(tmp_path / "out")
    assert len(lines) == 300
    assert all(b"\r" not in line for line in lines)
    assert b"K299,299" in lines


def test_crlf_matches_lf_bytes(tmp_path: Path):
    lf = tmp_path / "lf.csv"
    lf.write_text(_rows_csv(300))
    crlf = tmp_path / "crlf.csv"
    crlf.write_bytes(lf.read_bytes().replace(b"\n", b"\r\n"))
    first = run_split(lf, tmp_path / "a", key_column="id").to_dict()["splits"]
    second = run_split(crlf, tmp_path / "b", key_column="id").to_dict()["splits"]
    assert first == second


def test_quotes_become_minimal(tmp_path: Path):
    path = tmp_path / "quoted.csv"
    rows = [f'"K{index}","plain","a,b","say ""hi""","two\nlines"' for index in range(300)]
    path.write_text('"id","p","c","q","n"\n' + "\n".join(rows) + "\n")
    run_split(path, tmp_path / "out", key_column="id")
    header = (tmp_path / "out/val.csv").read_bytes().split(b"\n")[0]
    assert header == b"id,p,c,q,n"
    files = [tmp_path / "out" / f"{split}.csv" for split in ("train", "val", "test")]
    content = b"".join(path.read_bytes() for path in files)
    assert b'K7,plain,"a,b","say ""hi""","two\nlines"\n' in content


def test_quoted_and_unquoted_key_same_split(tmp_path: Path):
    plain = tmp_path / "plain.csv"
    plain.write_text(_rows_csv(300))
    quoted = tmp_path / "quoted.csv"
    quoted.write_text("id,value\n" + "".join(f'"K{index}",{index}\n' for index in range(300)))
    first = run_split(plain, tmp_path / "a", key_column="id").to_dict()["splits"]
    second = run_split(quoted, tmp_path / "b", key_column="id").to_dict()["splits"]
    assert first == second


def test_wide_matrix_empty_cells_kept(gdsc_gz: Path, tmp_path: Path):
    manifest = run_split(gdsc_gz, tmp_path / "out", key_column="COSMIC_ID", layout="wide_matrix")
    source = gzip.decompress(gdsc_gz.read_bytes()).replace(b"\r\n", b"\n").split(b"\n")
    source_rows = sorted(line for line in source[1:] if line)
    assert _all_lines(tmp_path / "out") == source_rows
    assert manifest.to_dict()["layout"] == "wide_matrix"
    assert b",," in (tmp_path / "out/train.csv").read_bytes()


def test_blank_lines_skipped_and_counted(tmp_path: Path):
    path = tmp_path / "blank.csv"
    path.write_text("id,value\n\n" + _rows_csv(300)[len("id,value\n") :] + "\n\n")
    manifest = run_split(path, tmp_path / "out", key_column="id").to_dict()
    assert manifest["input"]["blank_lines"] == 3
    assert manifest["counts"]["rows"] == 300


def test_utf8_cells_unchanged(tmp_path: Path):
    path = tmp_path / "utf8.csv"
    path.write_text(
        "id,name\n" + "".join(f"K{index},Ä-ß-µ-{index}\n" for index in range(300)),
        encoding="utf-8",
    )
    run_split(path, tmp_path / "out", key_column="id")
    names = [name for values in split_rows(tmp_path / "out", 1).values() for name in values]
    assert "Ä-ß-µ-7" in names
