"""Group and scaffold strategies: whole groups per split, acyclic and invalid SMILES."""

from collections import defaultdict
from pathlib import Path

import pytest

from gnosis_assets.splits import SplitError
from gnosis_assets.splits.scaffolds import ACYCLIC, RING, ScaffoldKeyer

from .helpers import read_rows, run_split, split_rows


def _splits_per_value(out_dir: Path, column: int) -> dict[str, set[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for split, values in split_rows(out_dir, column).items():
        for value in values:
            found[value].add(split)
    return found


def test_group_rows_share_split(bindings_tsv: Path, tmp_path: Path):
    run_split(bindings_tsv, tmp_path / "out", key_column="drugbank_id", strategy="group")
    splits = _splits_per_value(tmp_path / "out", 0)
    assert all(len(found) == 1 for found in splits.values())


def test_group_counts_in_manifest(bindings_tsv: Path, tmp_path: Path):
    manifest = run_split(bindings_tsv, tmp_path / "out", key_column="drugbank_id", strategy="group")
    counted = manifest.to_dict()
    distinct = len(_splits_per_value(tmp_path / "out", 0))
    assert counted["counts"]["groups"] == distinct
    assert sum(item["groups"] for item in counted["splits"].values()) == distinct


def test_group_seed_changes_assignment(bindings_tsv: Path, tmp_path: Path):
    settings = {"key_column": "drugbank_id", "strategy": "group"}
    run_split(bindings_tsv, tmp_path / "a", seed=0, **settings)
    run_split(bindings_tsv, tmp_path / "b", seed=5, **settings)
    first = _splits_per_value(tmp_path / "a", 0)
    second = _splits_per_value(tmp_path / "b", 0)
    assert sum(first[key] != second[key] for key in first) > len(first) // 10


def _smiles_column(path: Path) -> int:
    return read_rows(path)[0].index("smiles")


def test_scaffold_groups_share_split(egfr_csv: Path, tmp_path: Path):
    run_split(egfr_csv, tmp_path / "out", key_column="smiles", strategy="scaffold")
    keyer = ScaffoldKeyer(invalid_as_group=False)
    splits_by_scaffold: dict[bytes, set[str]] = defaultdict(set)
    for split, values in split_rows(tmp_path / "out", _smiles_column(egfr_csv)).items():
        for smiles in values:
            splits_by_scaffold[keyer.group_key(smiles.encode())[0]].add(split)
    assert all(len(found) == 1 for found in splits_by_scaffold.values())
    assert len(splits_by_scaffold) > 100


def test_scaffold_seed_changes_assignment(egfr_csv: Path, tmp_path: Path):
    column = _smiles_column(egfr_csv)
    run_split(egfr_csv, tmp_path / "a", key_column="smiles", strategy="scaffold", seed=0)
    run_split(egfr_csv, tmp_path / "b", key_column="smiles", strategy="scaffold", seed=1)
    first = _splits_per_value(tmp_path / "a", column)
    second = _splits_per_value(tmp_path / "b", column)
    assert sum(first[key] != second[key] for key in first) > len(first) // 10


def test_scaffold_manifest_records_rdkit(egfr_csv: Path, tmp_path: Path):
    import rdkit

    manifest = run_split(egfr_csv, tmp_path / "out", key_column="smiles", strategy="scaffold")
    document = manifest.to_dict()
    assert document["versions"]["rdkit"] == rdkit.__version__
    assert document["counts"]["invalid_smiles_rows"] == 0
    assert document["counts"]["acyclic_rows"] >= 1


def test_acyclic_molecules_get_own_groups():
    keyer = ScaffoldKeyer(invalid_as_group=False)
    ethanol = keyer.group_key(b"CCO")
    hexane = keyer.group_key(b"CCCCCC")
    assert ethanol == (b"molecule:CCO", ACYCLIC)
    assert hexane[1] == ACYCLIC
    assert ethanol[0] != hexane[0]
    assert keyer.group_key(b"OCC") == ethanol


def test_ring_molecules_share_scaffold():
    keyer = ScaffoldKeyer(invalid_as_group=False)
    toluene = keyer.group_key(b"Cc1ccccc1")
    phenol = keyer.group_key(b"Oc1ccccc1")
    assert toluene == (b"scaffold:c1ccccc1", RING)
    assert phenol == toluene


def _acyclic_csv(tmp_path: Path) -> Path:
    path = tmp_path / "acyclic.csv"
    chains = ["C" * length + tail for length in range(1, 40) for tail in ("O", "N", "Cl", "C(=O)O")]
    path.write_text("id,smiles\n" + "".join(f"M{i},{s}\n" for i, s in enumerate(chains)))
    return path


def test_acyclic_spread_over_splits(tmp_path: Path):
    path = _acyclic_csv(tmp_path)
    manifest = run_split(path, tmp_path / "out", key_column="smiles", strategy="scaffold").to_dict()
    assert manifest["counts"]["acyclic_rows"] == 156
    assert manifest["counts"]["groups"] == 156
    assert all(item["rows"] > 0 for item in manifest["splits"].values())


def _with_invalid(tmp_path: Path) -> Path:
    path = _acyclic_csv(tmp_path)
    text = path.read_text().splitlines()
    text[3] = "M2,C1CC"
    text[10] = "M9,not-a-smiles"
    path.write_text("\n".join(text) + "\n")
    return path


def test_invalid_smiles_rejected_with_examples(tmp_path: Path):
    path = _with_invalid(tmp_path)
    with pytest.raises(SplitError) as caught:
        run_split(path, tmp_path / "out", key_column="smiles", strategy="scaffold")
    message = str(caught.value)
    assert "2 rows have SMILES in 'smiles' that RDKit cannot parse" in message
    assert "line 4: 'C1CC'" in message
    assert "line 11: 'not-a-smiles'" in message
    assert "invalid_smiles: own_group" in message


def test_invalid_smiles_own_group_counted(tmp_path: Path):
    path = _with_invalid(tmp_path)
    manifest = run_split(
        path, tmp_path / "out", key_column="smiles", strategy="scaffold", invalid_smiles="own_group"
    ).to_dict()
    assert manifest["counts"]["invalid_smiles_rows"] == 2
    assert manifest["counts"]["rows"] == 156
