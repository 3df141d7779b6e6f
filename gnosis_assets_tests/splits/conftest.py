"""Fixtures for the split tests: the shipped sample files, or small stand-ins in tmp_path."""

import csv
import gzip
import random
from pathlib import Path

import pytest

from .helpers import BINDINGS, EGFR, GDSC

# Ring systems and acyclic chains used to build a stand-in for the EGFR extract.
_RINGS = ["c1ccccc1", "c1ccncc1", "C1CCNCC1", "c1ccc2ccccc2c1", "c1cnc2ncnc2c1", "C1CC1"]
_SIDE_CHAINS = ["C", "CC", "N", "O", "CCO", "C(=O)O", "Cl", "Br", "CN(C)C", "OC"]


@pytest.fixture
def egfr_csv(tmp_path: Path) -> Path:
    """The EGFR extract: unnamed index column, molecule_chembl_id key, smiles column."""
    if EGFR.is_file():
        return EGFR
    rng = random.Random(7)
    path = tmp_path / "EGFR_compounds.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["", "molecule_chembl_id", "IC50", "units", "smiles", "pIC50"])
        for index in range(3000):
            smiles = rng.choice(_RINGS) + rng.choice(_SIDE_CHAINS)
            if index % 50 == 0:
                smiles = "C" * (index % 7 + 2) + "O"
            writer.writerow([index, f"CHEMBL{index}", "0.5", "nM", smiles, "9.3"])
    return path


@pytest.fixture
def bindings_tsv(tmp_path: Path) -> Path:
    """The DrugBank bindings table: TSV with several rows per drugbank_id."""
    if BINDINGS.is_file():
        return BINDINGS
    path = tmp_path / "bindings-drugbank-collapsed.tsv"
    lines = ["drugbank_id\tuniprot\taffinity_nM"]
    for drug in range(400):
        lines += [f"DB{drug:05d}\tP{target:05d}\t{drug * 1.5}" for target in range(drug % 6 + 1)]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def gdsc_gz(tmp_path: Path) -> Path:
    """The GDSC IC50 matrix: gzip CSV, one row per COSMIC_ID, many empty cells."""
    if GDSC.is_file():
        return GDSC
    path = tmp_path / "IC50_v17.csv.gz"
    lines = ["COSMIC_ID," + ",".join(f"Drug_{drug}_IC50" for drug in range(30))]
    for cell_line in range(900):
        cells = ["" if (cell_line + drug) % 3 else f"{drug - 2.5:.6f}" for drug in range(30)]
        lines.append(f"{900000 + cell_line}," + ",".join(cells))
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    return path


@pytest.fixture
def many_keys_csv(tmp_path: Path) -> Path:
    """A 2000-row CSV with unique keys in column `id`."""
    path = tmp_path / "rows.csv"
    lines = ["id,value"] + [f"K{index},{index * 0.25}" for index in range(2000)]
    path.write_text("\n".join(lines) + "\n")
    return path
