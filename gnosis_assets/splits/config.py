"""Split set configuration, validated the same way from code and from catalog YAML."""

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import PurePosixPath
from typing import Any, Literal, get_args

from gnosis_assets.splits.errors import SplitError

Strategy = Literal["hash", "group", "scaffold"]
DuplicateKeyPolicy = Literal["error", "keep"]
InvalidSmilesPolicy = Literal["error", "own_group"]
Layout = Literal["long", "wide_matrix"]

SPLIT_NAMES = ("train", "val", "test")
MAX_SEED = 2**64 - 1  # the seed becomes an 8-byte hash key
_NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


@dataclass(frozen=True, kw_only=True)
class SplitConfig:
    """Settings of one split set of one curated file.

    `name` is the folder name under `splits/`. `key_column` is the row key (`hash`), the group
    key (`group`) or the SMILES column (`scaffold`). `fractions` are train, val and test.
    `tolerance` is the maximum absolute deviation of each realised row fraction from its target.
    """

    name: str = "default"
    file: str
    strategy: Strategy = "hash"
    key_column: str
    fractions: tuple[float, float, float] = (0.8, 0.1, 0.1)
    seed: int = 0
    duplicate_keys: DuplicateKeyPolicy = "error"
    invalid_smiles: InvalidSmilesPolicy = "error"
    tolerance: float = 0.05
    layout: Layout = "long"

    def __post_init__(self) -> None:
        _validate(self)

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> "SplitConfig":
        """Build a config from a YAML mapping, raising SplitError that names the bad field."""
        if not isinstance(mapping, Mapping):
            raise SplitError(
                f"split config must be a mapping of field names to values, got "
                f"{type(mapping).__name__}: {mapping!r}"
            )
        known = [field.name for field in fields(cls)]
        unknown = sorted(str(key) for key in mapping if key not in known)
        if unknown:
            raise SplitError(
                f"split config has unknown fields {unknown}; allowed fields are {known}"
            )
        for required in ("file", "key_column"):
            if required not in mapping:
                raise SplitError(f"split config field '{required}' is missing")

        values = dict(mapping)
        if "fractions" in values:
            values["fractions"] = _parse_fractions(values["fractions"])
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """Return the settings as a JSON-ready dict."""
        result = {field.name: getattr(self, field.name) for field in fields(self)}
        result["fractions"] = list(self.fractions)
        return result


def _parse_fractions(value: Any) -> tuple[float, float, float]:
    if isinstance(value, Mapping):
        missing = [split for split in SPLIT_NAMES if split not in value]
        if missing or len(value) != len(SPLIT_NAMES):
            raise _field_error("fractions", value, "expected keys train, val and test")
        value = [value[split] for split in SPLIT_NAMES]
    if isinstance(value, str | bytes) or not hasattr(value, "__len__") or len(value) != 3:
        raise _field_error("fractions", value, "expected three numbers: train, val, test")
    return tuple(value)


def _field_error(field: str, value: Any, expected: str) -> SplitError:
    return SplitError(f"split config field '{field}' has invalid value {value!r}: {expected}")


def _check_choice(field: str, value: Any, alias: Any) -> None:
    choices = get_args(alias)
    if value not in choices:
        raise _field_error(field, value, f"expected one of {list(choices)}")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _validate(config: SplitConfig) -> None:
    if not isinstance(config.name, str) or not _NAME_PATTERN.fullmatch(config.name):
        raise _field_error(
            "name", config.name, "expected a folder name of letters, digits, '.', '_' or '-'"
        )

    file = config.file
    if not isinstance(file, str) or not file or "\\" in file:
        raise _field_error("file", file, "expected a relative file name with '/' separators")
    parts = PurePosixPath(file).parts
    if PurePosixPath(file).is_absolute() or ".." in parts or "." in parts:
        raise _field_error("file", file, "expected a path inside the dataset version")

    _check_choice("strategy", config.strategy, Strategy)
    if not isinstance(config.key_column, str) or not config.key_column:
        raise _field_error("key_column", config.key_column, "expected a non-empty column name")

    _validate_fractions(config.fractions)

    seed = config.seed
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed <= MAX_SEED:
        raise _field_error("seed", seed, f"expected an integer from 0 to {MAX_SEED}")

    _check_choice("duplicate_keys", config.duplicate_keys, DuplicateKeyPolicy)
    if config.duplicate_keys != "error" and config.strategy != "hash":
        raise _field_error(
            "duplicate_keys",
            config.duplicate_keys,
            f"applies only to strategy 'hash'; strategy '{config.strategy}' always keeps rows "
            "with the same key in one split, so remove the field",
        )
    _check_choice("invalid_smiles", config.invalid_smiles, InvalidSmilesPolicy)
    if config.invalid_smiles != "error" and config.strategy != "scaffold":
        raise _field_error(
            "invalid_smiles",
            config.invalid_smiles,
            "applies only to strategy 'scaffold', so remove the field",
        )

    tolerance = config.tolerance
    if not _is_number(tolerance) or not 0 < tolerance < 1:
        raise _field_error("tolerance", tolerance, "expected a number between 0 and 1")
    _check_choice("layout", config.layout, Layout)


def _validate_fractions(fractions: Any) -> None:
    if not isinstance(fractions, tuple) or len(fractions) != 3:
        raise _field_error("fractions", fractions, "expected a tuple of three numbers")
    for split, fraction in zip(SPLIT_NAMES, fractions, strict=True):
        if not _is_number(fraction) or not math.isfinite(fraction) or not 0 < fraction < 1:
            raise _field_error(
                "fractions",
                list(fractions),
                f"the {split} fraction must be a number between 0 and 1 (exclusive), "
                "because every split must receive rows",
            )
    if not math.isclose(sum(fractions), 1.0, abs_tol=1e-9):
        raise _field_error(
            "fractions", list(fractions), f"train, val and test sum to {sum(fractions)}, not 1"
        )
