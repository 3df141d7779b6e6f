"""The split manifest: everything needed to regenerate a split set and prove it matches."""

import json
from dataclasses import dataclass
from typing import Any

from gnosis_assets.splits.config import SPLIT_NAMES, SplitConfig
from gnosis_assets.splits.reader import InputSummary
from gnosis_assets.splits.writer import WrittenFile

# Increase when the manifest's shape changes.
MANIFEST_FORMAT_VERSION = 1
OUTPUT_FORMAT = (
    "UTF-8 or other ASCII-compatible bytes as read; comma-delimited, LF line endings, "
    "header as in the input; a cell is quoted only if it contains a comma, double quote, "
    "CR or LF; rows in input order"
)


@dataclass(frozen=True)
class SplitManifest:
    """Result of one `split_file` run.

    `groups` are distinct group keys per split (None for the hash strategy). `acyclic_rows`
    and `invalid_smiles_rows` are None unless the strategy is scaffold.
    """

    config: SplitConfig
    input: InputSummary
    files: tuple[WrittenFile, WrittenFile, WrittenFile]
    groups: tuple[int, int, int] | None
    duplicate_keys: int
    duplicate_key_rows: int
    acyclic_rows: int | None
    invalid_smiles_rows: int | None
    method: dict[str, Any]
    versions: dict[str, str]

    @property
    def rows(self) -> int:
        return sum(written.rows for written in self.files)

    def to_dict(self) -> dict[str, Any]:
        """Return the manifest as a JSON-ready dict without timestamps or absolute paths."""
        config = self.config
        total = self.rows
        splits = {}
        for index, (split, written) in enumerate(zip(SPLIT_NAMES, self.files, strict=True)):
            splits[split] = {
                "file": written.file,
                "rows": written.rows,
                "groups": None if self.groups is None else self.groups[index],
                "fraction": round(written.rows / total, 6) if total else 0.0,
                "sha256": written.sha256,
                "size_bytes": written.size_bytes,
            }
        return {
            "format_version": MANIFEST_FORMAT_VERSION,
            "name": config.name,
            "strategy": config.strategy,
            "key_column": config.key_column,
            "fractions": dict(zip(SPLIT_NAMES, config.fractions, strict=True)),
            "seed": config.seed,
            "layout": config.layout,
            "tolerance": config.tolerance,
            "policies": {
                "duplicate_keys": config.duplicate_keys,
                "invalid_smiles": config.invalid_smiles,
            },
            "input": {
                "file": config.file,
                "sha256": self.input.sha256,
                "size_bytes": self.input.size_bytes,
                "compression": self.input.compression,
                "delimiter": self.input.delimiter,
                "columns": list(self.input.columns),
                "rows": total,
                "blank_lines": self.input.blank_lines,
            },
            "splits": splits,
            "counts": {
                "rows": total,
                "groups": None if self.groups is None else sum(self.groups),
                "duplicate_keys": self.duplicate_keys,
                "duplicate_key_rows": self.duplicate_key_rows,
                "acyclic_rows": self.acyclic_rows,
                "invalid_smiles_rows": self.invalid_smiles_rows,
            },
            "method": self.method,
            "versions": self.versions,
        }

    def to_json(self) -> bytes:
        """Serialize `to_dict()` as canonical JSON: sorted keys, 2-space indent, final LF."""
        text = json.dumps(
            self.to_dict(), sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False
        )
        return (text + "\n").encode("utf-8")
