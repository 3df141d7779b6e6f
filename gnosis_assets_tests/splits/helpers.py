"""Shared helpers for the split tests: sample file paths, split runs and CSV reading."""

import csv
from pathlib import Path

from gnosis_assets.splits import SplitConfig, SplitManifest, split_file

SAMPLES = Path(__file__).resolve().parents[2] / "gnosis_assets/sample_volumes/veridica-datasets"
EGFR = SAMPLES / "chembl/chembl_27/EGFR_compounds.csv"
BINDINGS = SAMPLES / "bindingdb/bindingdb_2015m10/bindings-drugbank-collapsed.tsv"
GDSC = SAMPLES / "gdsc/gdsc_v17/IC50_v17.csv.gz"


def read_rows(path: Path) -> list[list[str]]:
    """Return all rows of a CSV file, header first."""
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def split_rows(out_dir: Path, column: int) -> dict[str, list[str]]:
    """Return the values of one column per split file, in file order."""
    return {
        split: [row[column] for row in read_rows(out_dir / f"{split}.csv")[1:]]
        for split in ("train", "val", "test")
    }


def split_of(out_dir: Path, column: int) -> dict[str, str]:
    """Map each value of a column to the split whose file contains it."""
    return {
        value: split for split, values in split_rows(out_dir, column).items() for value in values
    }


def run_split(path: Path, out_dir: Path, **settings: object) -> SplitManifest:
    """Split `path` into `out_dir` with a config built from `settings`."""
    settings.setdefault("file", path.name)
    config = SplitConfig(**settings)  # type: ignore[arg-type]
    return split_file(path, config, out_dir)
