"""Byte-for-byte determinism across processes with different PYTHONHASHSEED values."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

_PROGRAM = """
import json, sys
from pathlib import Path
from gnosis_assets.splits import SplitConfig, split_file
config = SplitConfig(file="x", key_column=sys.argv[3], strategy=sys.argv[4], seed=3)
manifest = split_file(Path(sys.argv[1]), config, Path(sys.argv[2]))
print(json.dumps({s: f["sha256"] for s, f in manifest.to_dict()["splits"].items()}))
"""


def _split_in_subprocess(input_path: Path, out_dir: Path, column: str, strategy: str, seed: str):
    env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO)}
    completed = subprocess.run(
        [sys.executable, "-c", _PROGRAM, str(input_path), str(out_dir), column, strategy],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(completed.stdout)


@pytest.mark.parametrize(
    ("fixture", "column", "strategy"),
    [
        ("egfr_csv", "molecule_chembl_id", "hash"),
        ("bindings_tsv", "drugbank_id", "group"),
        ("egfr_csv", "smiles", "scaffold"),
    ],
)
def test_same_bytes_across_hash_seeds(request, tmp_path: Path, fixture, column, strategy):
    input_path = request.getfixturevalue(fixture)
    first = _split_in_subprocess(input_path, tmp_path / "a", column, strategy, "1")
    second = _split_in_subprocess(input_path, tmp_path / "b", column, strategy, "12345")
    assert first == second
    assert len(set(first.values())) == 3
