"""Hash splits routed in worker processes against the same splits routed in-process.

The worker path normally starts only for inputs of at least `POOL_MIN_BYTES`. These tests lower
that threshold and the reader's chunk size, so that small files are cut into many blocks and go
through real worker subprocesses with several blocks in flight. They do not time anything.
"""

import gzip
import logging
from pathlib import Path

import pytest

from gnosis_assets.splits import SplitError, parallel, prefetch
from gnosis_assets.splits.parallel import worker_count

from .helpers import run_split


@pytest.fixture
def force_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Route every hash split through 2 workers, with 4 KiB reader chunks."""
    monkeypatch.setattr(parallel, "POOL_MIN_BYTES", 0)
    monkeypatch.setattr(parallel, "_available_cpus", lambda: 2)
    monkeypatch.setattr(prefetch, "CHUNK_BYTES", 4096)


def _outputs(out_dir: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(out_dir.iterdir())}


def _rows(count: int) -> list[bytes]:
    return [b"%d,K%d,%d.5,x y" % (index, index * 7919 % 100003, index) for index in range(count)]


def _write(path: Path, lines: list[bytes], header: bytes = b"id,key,v,t") -> Path:
    path.write_bytes(header + b"\n" + b"\n".join(lines) + b"\n")
    return path


def _mixed_file(tmp_path: Path) -> Path:
    """A CSV with quoted records, a record spanning two lines and blank lines among plain rows."""
    lines = _rows(6000)
    lines[10] = b'10,"K,10",1,"a ""b"" c"'
    lines[2500] = b'2500,K-multi,2,"first\nsecond"'
    lines.insert(4000, b"")
    return _write(tmp_path / "mixed.csv", lines)


def _split_twice(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **settings: object
) -> tuple[tuple[dict, dict[str, bytes]], tuple[dict, dict[str, bytes]]]:
    """Split in-process, then with workers, and return (manifest dict, file bytes) of each."""
    settings.setdefault("key_column", "key")
    monkeypatch.setattr(prefetch, "CHUNK_BYTES", 4096)
    local = run_split(path, tmp_path / "local", **settings).to_dict()
    monkeypatch.setattr(parallel, "POOL_MIN_BYTES", 0)
    monkeypatch.setattr(parallel, "_available_cpus", lambda: 2)
    pooled = run_split(path, tmp_path / "pooled", **settings).to_dict()
    return (local, _outputs(tmp_path / "local")), (pooled, _outputs(tmp_path / "pooled"))


def _error_message(path: Path, out_dir: Path, **settings: object) -> str:
    settings.setdefault("key_column", "key")
    with pytest.raises(SplitError) as caught:
        run_split(path, out_dir, **settings)
    return str(caught.value).replace(str(out_dir), "<out>")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("plain.csv", b"id,key,v,t\n" + b"\n".join(_rows(6000)) + b"\n"),
        ("no_final_lf.csv", b"id,key,v,t\n" + b"\n".join(_rows(6000))),
        ("crlf.csv", b"id,key,v,t\r\n" + b"\r\n".join(_rows(6000)) + b"\r\n"),
        ("tabs.tsv", b"id\tkey\tv\tt\n" + b"\n".join(_rows(6000)).replace(b",", b"\t") + b"\n"),
        ("plain.csv.gz", gzip.compress(b"id,key,v,t\n" + b"\n".join(_rows(6000)) + b"\n")),
    ],
)
def test_workers_write_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, content: bytes
):
    path = tmp_path / name
    path.write_bytes(content)
    (local_manifest, local_files), (pooled_manifest, pooled_files) = _split_twice(
        path, tmp_path, monkeypatch
    )
    assert pooled_files == local_files
    assert pooled_manifest == local_manifest
    assert pooled_manifest["counts"]["rows"] == 6000


def test_workers_same_bytes_with_quotes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.INFO, logger=parallel.__name__)
    path = _mixed_file(tmp_path)
    (local_manifest, local_files), (pooled_manifest, pooled_files) = _split_twice(
        path, tmp_path, monkeypatch
    )
    assert "in 2 worker processes" in caplog.text
    assert pooled_files == local_files
    assert pooled_manifest == local_manifest
    assert pooled_manifest["input"]["blank_lines"] == 1


def test_workers_same_bytes_sample_file(
    egfr_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    (local_manifest, local_files), (pooled_manifest, pooled_files) = _split_twice(
        egfr_csv, tmp_path, monkeypatch, key_column="molecule_chembl_id", duplicate_keys="keep"
    )
    assert pooled_files == local_files
    assert pooled_manifest == local_manifest


def test_workers_keep_duplicates_together(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    lines = _rows(6000)
    path = _write(tmp_path / "dup.csv", [*lines, lines[5], lines[4321]])
    (local_manifest, local_files), (pooled_manifest, pooled_files) = _split_twice(
        path, tmp_path, monkeypatch, duplicate_keys="keep"
    )
    assert pooled_files == local_files
    assert pooled_manifest == local_manifest
    assert pooled_manifest["counts"]["duplicate_key_rows"] == 2


def test_workers_report_first_error_in_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    # A ragged row in the second 4 KiB block and an unterminated quote in the third. The
    # reader fails on the quote while the second block is still pending, so the test checks
    # that the ragged row is still the error reported.
    lines = _rows(6000)
    lines[300] = b"300,K300,1"
    lines[450] = b'450,K450,1,"open'
    path = _write(tmp_path / "errors.csv", lines)
    monkeypatch.setattr(prefetch, "CHUNK_BYTES", 4096)
    local = _error_message(path, tmp_path / "local")
    monkeypatch.setattr(parallel, "POOL_MIN_BYTES", 0)
    monkeypatch.setattr(parallel, "_available_cpus", lambda: 2)
    pooled = _error_message(path, tmp_path / "pooled")
    assert pooled == local
    assert "line 302 has 3 cells" in pooled
    assert not list((tmp_path / "pooled").glob("*.csv*"))


def test_workers_same_error_messages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    lines = _rows(6000)
    lines[77] = b"77, ,1,x"
    lines[4500] = b"4500,,1,x"
    empty_keys = _write(tmp_path / "empty.csv", lines)
    duplicates = _write(tmp_path / "dup.csv", [*_rows(6000), b"1,K7919,1.5,x y"])
    monkeypatch.setattr(prefetch, "CHUNK_BYTES", 4096)
    local = [_error_message(path, tmp_path / "local") for path in (empty_keys, duplicates)]
    monkeypatch.setattr(parallel, "POOL_MIN_BYTES", 0)
    monkeypatch.setattr(parallel, "_available_cpus", lambda: 2)
    pooled = [_error_message(path, tmp_path / "pooled") for path in (empty_keys, duplicates)]
    assert pooled == local
    assert "line 79: ' '" in pooled[0]
    assert "line 4502: ''" in pooled[0]
    assert "'K7919' on lines 3, 6002" in pooled[1]


def test_worker_exit_raises_and_cleans_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, force_workers: None
):
    monkeypatch.setattr(parallel, "_WORKER_COMMAND", "import sys; sys.exit(3)")
    path = _write(tmp_path / "plain.csv", _rows(6000))
    with pytest.raises(RuntimeError, match="exited with code 3"):
        run_split(path, tmp_path / "out", key_column="key")
    assert not list((tmp_path / "out").glob("*.csv*"))


@pytest.mark.parametrize(
    ("size", "cpus", "expected"),
    [
        (0, 8, 0),
        (parallel.POOL_MIN_BYTES - 1, 8, 0),
        (parallel.POOL_MIN_BYTES, 1, 0),
        (parallel.POOL_MIN_BYTES, 2, 2),
        (parallel.POOL_MIN_BYTES, 64, parallel.MAX_WORKERS),
    ],
)
def test_worker_count(monkeypatch: pytest.MonkeyPatch, size: int, cpus: int, expected: int):
    monkeypatch.setattr(parallel, "_available_cpus", lambda: cpus)
    assert worker_count(size) == expected
