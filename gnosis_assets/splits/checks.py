"""Checks that a split set on disk is the one its manifest describes and can be regenerated."""

import hashlib
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gnosis_assets.splits.config import SPLIT_NAMES, SplitConfig
from gnosis_assets.splits.errors import SplitError
from gnosis_assets.splits.manifest import SplitManifest
from gnosis_assets.splits.reader import TableReader
from gnosis_assets.splits.scaffolds import ScaffoldKeyer
from gnosis_assets.splits.split import split_file
from gnosis_assets.splits.strategies import HashAssigner
from gnosis_assets.splits.writer import SPLIT_SUFFIX

_LOW_MASK = (1 << 64) - 1


@dataclass(frozen=True)
class CheckResult:
    """Outcome of one check; `metadata` contains JSON-ready figures for an asset check."""

    name: str
    passed: bool
    description: str
    metadata: dict[str, Any] = field(default_factory=dict)


def verify_split(
    input_path: Path,
    config: SplitConfig,
    out_dir: Path,
    manifest: SplitManifest | Mapping[str, Any],
) -> list[CheckResult]:
    """Run every check on the split files in out_dir and return the results in this order.

    - files_match_manifest: SHA256 and size of each file equal the manifest's.
    - none_empty: every split has at least one row.
    - fractions_within_tolerance: each realised row fraction is within the tolerance.
    - disjoint: no key or group occurs in two splits.
    - assigned_split: every row is in the split that its key hashes to.
    - complete: the splits together contain exactly the input rows.
    - reproducible: a fresh run in a temporary directory gives the same bytes and manifest.
    """
    input_path = Path(input_path)
    out_dir = Path(out_dir)
    expected = manifest.to_dict() if isinstance(manifest, SplitManifest) else dict(manifest)
    paths = [out_dir / f"{split}{SPLIT_SUFFIX}" for split in SPLIT_NAMES]

    results = [_check_files_match_manifest(paths, expected)]
    try:
        scan = _scan_splits(paths, config)
    except (SplitError, OSError) as error:
        failed = f"could not read the split files: {error}"
        for name in ("none_empty", "fractions_within_tolerance", "disjoint", "assigned_split"):
            results.append(CheckResult(name, False, failed))
    else:
        results.extend(
            [
                _check_none_empty(scan),
                _check_fractions(scan, config),
                _check_disjoint(scan),
                _check_assigned_split(scan),
            ]
        )
        results.append(_check_complete(input_path, scan))
    results.append(_check_reproducible(input_path, config, paths, expected))
    return results


@dataclass
class _SplitScan:
    rows: list[int]
    misplaced: list[int]
    unit_fingerprints: list[np.ndarray]
    row_sum: int  # sum of 64-bit row hashes mod 2**64, an order-independent multiset digest


def _sha256_and_size(path: Path) -> tuple[str, int]:
    hasher = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            hasher.update(chunk)
            size += len(chunk)
    return hasher.hexdigest(), size


def _row_hash(line: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(line, digest_size=8).digest(), "big")


def _check_files_match_manifest(paths: list[Path], expected: Mapping[str, Any]) -> CheckResult:
    mismatches = {}
    for split, path in zip(SPLIT_NAMES, paths, strict=True):
        recorded = expected["splits"][split]
        if not path.is_file():
            mismatches[split] = f"{path.name} is missing"
            continue
        sha256, size = _sha256_and_size(path)
        if sha256 != recorded["sha256"] or size != recorded["size_bytes"]:
            mismatches[split] = (
                f"{path.name} has SHA256 {sha256} and {size} bytes, the manifest records "
                f"{recorded['sha256']} and {recorded['size_bytes']} bytes"
            )
    if mismatches:
        return CheckResult("files_match_manifest", False, "; ".join(mismatches.values()))
    return CheckResult("files_match_manifest", True, "all split files match the manifest")


def _unit_digest_function(config: SplitConfig, assigner: HashAssigner) -> Any:
    if config.strategy != "scaffold":
        return assigner.digest
    keyer = ScaffoldKeyer(invalid_as_group=True)
    cache: dict[bytes, bytes] = {}

    def scaffold_digest(smiles: bytes) -> bytes:
        digest = cache.get(smiles)
        if digest is None:
            digest = assigner.digest(keyer.group_key(smiles)[0])
            cache[smiles] = digest
        return digest

    return scaffold_digest


def _scan_splits(paths: list[Path], config: SplitConfig) -> _SplitScan:
    assigner = HashAssigner(config.seed, config.fractions)
    unit_digest = _unit_digest_function(config, assigner)
    scan = _SplitScan(rows=[], misplaced=[], unit_fingerprints=[], row_sum=0)

    for index, path in enumerate(paths):
        rows = 0
        misplaced = 0
        fingerprints: list[np.ndarray] = []
        with TableReader(path) as table:
            key_index = table.column_index(config.key_column)
            for batch in table.batches(key_index):
                batch_fingerprints = []
                for line, key in zip(batch.lines, batch.keys, strict=True):
                    digest = unit_digest(key)
                    if assigner.split_index(digest) != index:
                        misplaced += 1
                    batch_fingerprints.append(int.from_bytes(digest[8:], "big"))
                    scan.row_sum += _row_hash(line)
                rows += len(batch.lines)
                fingerprints.append(np.unique(np.asarray(batch_fingerprints, dtype=np.uint64)))
        scan.rows.append(rows)
        scan.misplaced.append(misplaced)
        merged = np.concatenate(fingerprints) if fingerprints else np.array([], np.uint64)
        scan.unit_fingerprints.append(np.unique(merged))
    scan.row_sum &= _LOW_MASK
    return scan


def _check_none_empty(scan: _SplitScan) -> CheckResult:
    empty = [split for split, rows in zip(SPLIT_NAMES, scan.rows, strict=True) if rows == 0]
    metadata = dict(zip(SPLIT_NAMES, scan.rows, strict=True))
    if empty:
        return CheckResult("none_empty", False, f"splits {empty} have no rows", metadata)
    return CheckResult("none_empty", True, "every split has rows", metadata)


def _check_fractions(scan: _SplitScan, config: SplitConfig) -> CheckResult:
    total = sum(scan.rows)
    realised = {
        split: (rows / total if total else 0.0)
        for split, rows in zip(SPLIT_NAMES, scan.rows, strict=True)
    }
    off = [
        f"{split} {realised[split]:.4f} vs target {target}"
        for split, target in zip(SPLIT_NAMES, config.fractions, strict=True)
        if abs(realised[split] - target) > config.tolerance
    ]
    metadata = {f"{split}_fraction": round(value, 6) for split, value in realised.items()}
    if off:
        return CheckResult(
            "fractions_within_tolerance",
            False,
            f"row fractions outside tolerance {config.tolerance}: {'; '.join(off)}",
            metadata,
        )
    return CheckResult(
        "fractions_within_tolerance", True, f"within tolerance {config.tolerance}", metadata
    )


def _check_disjoint(scan: _SplitScan) -> CheckResult:
    # NOTE: units are compared by 64-bit fingerprints, so this check can fail when two keys
    # in different splits share one. For n keys the chance is about n**2 / 2**65 (1e-5 at 20M).
    shared = {}
    pairs = ((0, 1), (0, 2), (1, 2))
    for first, second in pairs:
        common = np.intersect1d(
            scan.unit_fingerprints[first], scan.unit_fingerprints[second], assume_unique=True
        )
        if common.size:
            shared[f"{SPLIT_NAMES[first]}_{SPLIT_NAMES[second]}"] = int(common.size)
    if shared:
        return CheckResult(
            "disjoint", False, f"keys or groups found in two splits: {shared}", shared
        )
    return CheckResult("disjoint", True, "no key or group is in more than one split")


def _check_assigned_split(scan: _SplitScan) -> CheckResult:
    misplaced = dict(zip(SPLIT_NAMES, scan.misplaced, strict=True))
    if any(misplaced.values()):
        return CheckResult(
            "assigned_split",
            False,
            f"rows whose key hashes to another split: {misplaced}",
            misplaced,
        )
    return CheckResult("assigned_split", True, "every row is in the split its key hashes to")


def _check_complete(input_path: Path, scan: _SplitScan) -> CheckResult:
    rows = 0
    row_sum = 0
    try:
        with TableReader(input_path) as table:
            for batch in table.batches(0):
                rows += len(batch.lines)
                row_sum += sum(_row_hash(line) for line in batch.lines)
    except (SplitError, OSError) as error:
        return CheckResult("complete", False, f"could not read the input: {error}")
    row_sum &= _LOW_MASK

    metadata = {"input_rows": rows, "split_rows": sum(scan.rows)}
    if rows != sum(scan.rows):
        return CheckResult(
            "complete",
            False,
            f"the input has {rows} rows but the splits together have {sum(scan.rows)}",
            metadata,
        )
    if row_sum != scan.row_sum:
        return CheckResult(
            "complete",
            False,
            "the splits have as many rows as the input, but their contents differ",
            metadata,
        )
    return CheckResult("complete", True, "the splits contain exactly the input rows", metadata)


def _check_reproducible(
    input_path: Path, config: SplitConfig, paths: list[Path], expected: Mapping[str, Any]
) -> CheckResult:
    with tempfile.TemporaryDirectory(prefix="split-verify-") as scratch:
        try:
            fresh = split_file(input_path, config, Path(scratch)).to_dict()
        except SplitError as error:
            return CheckResult("reproducible", False, f"the fresh split failed: {error}")

    differences = []
    for split, path in zip(SPLIT_NAMES, paths, strict=True):
        on_disk = _sha256_and_size(path)[0] if path.is_file() else "missing"
        if on_disk != fresh["splits"][split]["sha256"]:
            differences.append(f"{path.name} differs from a fresh run")
    if fresh != dict(expected):
        changed = sorted(key for key in fresh if fresh[key] != expected.get(key))
        differences.append(f"manifest fields differ from a fresh run: {changed}")
    if differences:
        return CheckResult("reproducible", False, "; ".join(differences))
    return CheckResult("reproducible", True, "a fresh run reproduces the files and manifest")
