"""SplitConfig validation, from code and from YAML mappings. No files are read."""

import pytest

from gnosis_assets.splits import SplitConfig, SplitError

BASE = {"file": "EGFR_compounds.csv", "key_column": "molecule_chembl_id"}


def test_defaults_from_minimal_mapping():
    config = SplitConfig.from_mapping(BASE)
    assert config.name == "default"
    assert config.strategy == "hash"
    assert config.fractions == (0.8, 0.1, 0.1)
    assert config.seed == 0
    assert config.tolerance == 0.05
    assert config.layout == "long"


def test_fractions_as_list_or_mapping():
    from_list = SplitConfig.from_mapping({**BASE, "fractions": [0.7, 0.2, 0.1]})
    from_mapping = SplitConfig.from_mapping(
        {**BASE, "fractions": {"train": 0.7, "val": 0.2, "test": 0.1}}
    )
    assert from_list.fractions == (0.7, 0.2, 0.1)
    assert from_mapping.fractions == (0.7, 0.2, 0.1)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("strategy", "random", "'strategy'"),
        ("fractions", [0.8, 0.2], "three numbers"),
        ("fractions", [0.8, 0.1, 0.2], "sum to"),
        ("fractions", [0.9, 0.1, 0.0], "test fraction"),
        ("fractions", [1.2, -0.1, -0.1], "train fraction"),
        ("fractions", "0.8,0.1,0.1", "three numbers"),
        ("seed", -1, "'seed'"),
        ("seed", 2**64, "'seed'"),
        ("seed", True, "'seed'"),
        ("seed", "7", "'seed'"),
        ("tolerance", 0, "'tolerance'"),
        ("layout", "matrix", "'layout'"),
        ("duplicate_keys", "drop", "'duplicate_keys'"),
        ("name", "a/b", "'name'"),
        ("name", "", "'name'"),
        ("file", "/abs/path.csv", "'file'"),
        ("file", "../other/x.csv", "'file'"),
        ("key_column", "", "'key_column'"),
    ],
)
def test_invalid_field_names_field_and_value(field, value, message):
    with pytest.raises(SplitError) as caught:
        SplitConfig.from_mapping({**BASE, field: value})
    assert message in str(caught.value)
    assert repr(value) in str(caught.value) or str(value) in str(caught.value)


def test_unknown_field_lists_allowed_fields():
    with pytest.raises(SplitError, match="unknown fields \\['sed'\\]") as caught:
        SplitConfig.from_mapping({**BASE, "sed": 3})
    assert "'seed'" in str(caught.value)


@pytest.mark.parametrize("field", ["file", "key_column"])
def test_required_field_missing(field):
    mapping = {key: value for key, value in BASE.items() if key != field}
    with pytest.raises(SplitError, match=f"'{field}' is missing"):
        SplitConfig.from_mapping(mapping)


def test_mapping_required():
    with pytest.raises(SplitError, match="must be a mapping"):
        SplitConfig.from_mapping(["file", "x.csv"])  # type: ignore[arg-type]


def test_invalid_smiles_policy_only_for_scaffold():
    with pytest.raises(SplitError, match="only to strategy 'scaffold'"):
        SplitConfig(**BASE, invalid_smiles="own_group")


def test_keep_duplicates_only_for_hash():
    with pytest.raises(SplitError, match="only to strategy 'hash'"):
        SplitConfig(**BASE, strategy="group", duplicate_keys="keep")


def test_direct_construction_is_validated():
    with pytest.raises(SplitError, match="'tolerance'"):
        SplitConfig(**BASE, tolerance=1.5)


def test_to_dict_round_trips():
    config = SplitConfig(**BASE, strategy="scaffold", seed=11, invalid_smiles="own_group")
    assert SplitConfig.from_mapping(config.to_dict()) == config
