"""Duplicate-key detection for the hash strategy with 8 bytes of memory per key.

While rows are written, the low 64 bits of each key's digest (its fingerprint) are appended to
one spill file per split. Rows with equal keys always share a split, so duplicates can only
occur within one file. Afterwards each file is loaded as a NumPy uint64 array and sorted in
place, which takes 8 bytes per row of that split. Fingerprints that occur twice are only
candidates, because two different keys can share 64 bits. A second pass over the input
compares the key bytes of the candidate rows, so the reported duplicates are exact.
"""

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gnosis_assets.splits.config import SPLIT_NAMES
from gnosis_assets.splits.reader import TableReader
from gnosis_assets.splits.strategies import MAX_EXAMPLES, HashAssigner


class FingerprintSpill:
    """Append-only files of key fingerprints, one per split."""

    def __init__(self, directory: Path) -> None:
        self._paths = [directory / f"{split}.fingerprints" for split in SPLIT_NAMES]
        for path in self._paths:
            path.write_bytes(b"")

    def append(self, digests: tuple[list[bytes], list[bytes], list[bytes]]) -> None:
        """Append the low 8 bytes of each split's 16-byte key digests to its spill file."""
        self.append_joined((b"".join(digests[0]), b"".join(digests[1]), b"".join(digests[2])))

    def append_joined(self, digests: tuple[bytes, bytes, bytes]) -> None:
        """Append fingerprints of each split's key digests, given concatenated, 16 bytes each."""
        for path, split_digests in zip(self._paths, digests, strict=True):
            if split_digests:
                halves = np.frombuffer(split_digests, dtype=">u8")
                with path.open("ab") as handle:
                    halves[1::2].astype(np.uint64).tofile(handle)

    def repeated(self) -> set[int]:
        """Return the fingerprints that occur more than once in any split."""
        repeated: set[int] = set()
        for path in self._paths:
            values = np.fromfile(path, dtype=np.uint64)
            values.sort()
            equal_to_previous = values[1:] == values[:-1]
            repeated.update(int(value) for value in np.unique(values[1:][equal_to_previous]))
            del values
        return repeated


@dataclass
class DuplicateKeys:
    """Exact duplicate keys found among the candidate rows."""

    keys: int = 0
    extra_rows: int = 0  # rows whose key occurred on an earlier row
    examples: list[tuple[str, list[int]]] = field(default_factory=list)

    def describe(self) -> str:
        return "; ".join(
            f"{key!r} on lines {', '.join(str(line) for line in lines)}"
            for key, lines in self.examples
        )


def confirm_duplicates(
    input_path: Path,
    key_index: int,
    assigner: HashAssigner,
    candidates: set[int],
) -> DuplicateKeys:
    """Re-read the input and count the keys that really occur on more than one row.

    Memory is proportional to the candidate rows only. Examples are the first keys in input
    order that repeat, with up to 5 line numbers each.
    """
    # key bytes -> line numbers; dicts keep insertion order, so examples follow the input.
    lines_by_key: dict[bytes, list[int]] = {}
    with TableReader(input_path) as table:
        for batch in table.batches(key_index):
            for key, line_number in zip(batch.keys, batch.line_numbers, strict=True):
                if not key.strip():
                    continue
                fingerprint = int.from_bytes(assigner.digest(key)[8:], "big")
                if fingerprint in candidates:
                    lines_by_key.setdefault(key, []).append(line_number)

    result = DuplicateKeys()
    for key, lines in lines_by_key.items():
        if len(lines) < 2:
            continue
        result.keys += 1
        result.extra_rows += len(lines) - 1
        if len(result.examples) < MAX_EXAMPLES:
            text = key.decode("utf-8", errors="replace")
            result.examples.append((text, lines[:MAX_EXAMPLES]))
    return result
