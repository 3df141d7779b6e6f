"""`split_file`: one streaming pass that assigns, writes and counts, then validates the result."""

import logging
import math
import platform
import tempfile
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

from gnosis_assets.splits.config import SPLIT_NAMES, SplitConfig
from gnosis_assets.splits.duplicates import DuplicateKeys, FingerprintSpill, confirm_duplicates
from gnosis_assets.splits.errors import SplitError
from gnosis_assets.splits.manifest import OUTPUT_FORMAT, SplitManifest
from gnosis_assets.splits.parallel import route_with_workers, worker_count
from gnosis_assets.splits.reader import Batch, TableReader
from gnosis_assets.splits.scaffolds import ScaffoldKeyer, rdkit_version
from gnosis_assets.splits.strategies import (
    ALGORITHM_VERSION,
    HASH_DESCRIPTION,
    HashAssigner,
    NeedsChecks,
    Routed,
    Tally,
    route_batch,
    route_by_scaffold,
    route_fast_block,
)
from gnosis_assets.splits.writer import SplitWriter

logger = logging.getLogger(__name__)

# Chance that hash assignment leaves the smallest split empty, used to size the advice in the
# error for a dataset that is too small.
_EMPTY_SPLIT_RISK = 0.001


def split_file(
    input_path: Path, config: SplitConfig, out_dir: Path, *, chunk_rows: int = 200_000
) -> SplitManifest:
    """Split a CSV or TSV file (optionally gzip) into out_dir/train.csv, val.csv and test.csv.

    The input is streamed in chunks of about 8 MiB, routed in batches of at most `chunk_rows`
    rows, so memory does not grow with the file size. The exceptions are the per-key state of
    duplicate detection (8 bytes per row of the largest split, after the pass), the group
    digest sets (about 100 bytes per distinct group) and the scaffold cache (one entry per
    distinct SMILES). With the hash strategy, inputs of at least `parallel.POOL_MIN_BYTES` are
    routed in worker processes, one chunk per request, with the same output bytes (see
    `gnosis_assets.splits.parallel`). Raises SplitError for input that cannot be split as
    configured, and then leaves no split files behind.
    """
    input_path = Path(input_path)
    out_dir = Path(out_dir)
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be at least 1, got {chunk_rows}")
    logger.info("splitting %s into %s (strategy %s)", input_path, out_dir, config.strategy)

    assigner = HashAssigner(config.seed, config.fractions)
    keyer = None
    if config.strategy == "scaffold":
        keyer = ScaffoldKeyer(invalid_as_group=config.invalid_smiles == "own_group")
    tally = Tally()
    groups: tuple[set[bytes], set[bytes], set[bytes]] = (set(), set(), set())

    with (
        TableReader(input_path) as table,
        SplitWriter(out_dir, table.header_line) as writer,
        tempfile.TemporaryDirectory(prefix=".split-", dir=out_dir) as spill_dir,
    ):
        key_index = table.column_index(config.key_column)
        spill = FingerprintSpill(Path(spill_dir))
        workers = worker_count(input_path.stat().st_size) if config.strategy == "hash" else 0
        if workers:
            # closing() stops the workers as soon as an error leaves the loop.
            routes = closing(route_with_workers(table, key_index, assigner, tally, workers))
            with routes as joined_routes:
                for joined in joined_routes:
                    writer.write_joined(joined.data, joined.rows)
                    spill.append_joined(joined.digests)
        else:
            for routed, digests in _route(table, key_index, assigner, keyer, tally, chunk_rows):
                writer.write(routed)
                if config.strategy == "hash":
                    spill.append(digests)
                else:
                    for split_groups, split_digests in zip(groups, digests, strict=True):
                        split_groups.update(split_digests)
        summary = table.summary()

        _raise_for_invalid_rows(input_path, config, tally)
        duplicates = DuplicateKeys()
        if config.strategy == "hash":
            candidates = spill.repeated()
            if candidates:
                duplicates = confirm_duplicates(input_path, key_index, assigner, candidates)
            _raise_for_duplicates(input_path, config, duplicates)
        _raise_if_too_small(input_path, config, writer.rows, groups, duplicates)
        written = writer.commit()

    group_counts = None
    if config.strategy != "hash":
        group_counts = (len(groups[0]), len(groups[1]), len(groups[2]))
    manifest = SplitManifest(
        config=config,
        input=summary,
        files=(written[0], written[1], written[2]),
        groups=group_counts,
        duplicate_keys=duplicates.keys,
        duplicate_key_rows=duplicates.extra_rows,
        acyclic_rows=tally.acyclic_rows if keyer else None,
        invalid_smiles_rows=tally.invalid_smiles.count if keyer else None,
        method=_method(config),
        versions=_versions(config),
    )
    logger.info(
        "split %s: %s rows to train/val/test = %s",
        input_path,
        manifest.rows,
        [item.rows for item in written],
    )
    return manifest


def _route(
    table: TableReader,
    key_index: int,
    assigner: HashAssigner,
    keyer: ScaffoldKeyer | None,
    tally: Tally,
    chunk_rows: int,
) -> Iterator[tuple[Routed, Routed]]:
    """Yield (lines, digests) per split for consecutive batches of at most `chunk_rows` rows."""
    columns = len(table.columns)
    for block in table.blocks(key_index):
        if isinstance(block, Batch):
            if keyer is not None:
                yield route_by_scaffold(block, assigner, keyer, tally)
            else:
                yield route_batch(block, assigner, tally)
            continue

        lines = block.lines
        for start in range(0, len(lines), chunk_rows):
            part = lines[start : start + chunk_rows]
            first_line = block.first_line + start
            if keyer is not None:
                batch = table.to_batch(part, first_line, key_index)
                yield route_by_scaffold(batch, assigner, keyer, tally)
                continue
            try:
                yield route_fast_block(part, key_index, columns, assigner)
            except NeedsChecks:
                yield route_batch(table.to_batch(part, first_line, key_index), assigner, tally)


def _method(config: SplitConfig) -> dict[str, Any]:
    method: dict[str, Any] = {"algorithm_version": ALGORITHM_VERSION, "hash": HASH_DESCRIPTION}
    method["hashed_value"] = {
        "hash": "the key cell of each row",
        "group": "the group key cell of each row",
        "scaffold": (
            "'scaffold:' + canonical SMILES of the RDKit Bemis-Murcko scaffold; for molecules "
            "without rings 'molecule:' + their canonical SMILES; for unparseable SMILES "
            "'invalid:' + the cell text"
        ),
    }[config.strategy]
    method["output"] = OUTPUT_FORMAT
    return method


def _versions(config: SplitConfig) -> dict[str, str]:
    # Only software that can change which rows land where, or the output bytes.
    versions = {"python": platform.python_version()}
    if config.strategy == "scaffold":
        versions["rdkit"] = rdkit_version()
    return versions


def _raise_for_invalid_rows(input_path: Path, config: SplitConfig, tally: Tally) -> None:
    empty = tally.empty_keys
    if empty.count:
        raise SplitError(
            f"{input_path}: {empty.count} rows have an empty or whitespace-only "
            f"'{config.key_column}' ({empty.describe()}). Fill in the keys or drop those rows "
            "when curating the file."
        )
    invalid = tally.invalid_smiles
    if invalid.count and config.invalid_smiles == "error":
        raise SplitError(
            f"{input_path}: {invalid.count} rows have SMILES in '{config.key_column}' that "
            f"RDKit cannot parse ({invalid.describe()}). Fix them, or set "
            "invalid_smiles: own_group to give each one its own group."
        )


def _raise_for_duplicates(input_path: Path, config: SplitConfig, found: DuplicateKeys) -> None:
    if found.keys and config.duplicate_keys == "error":
        raise SplitError(
            f"{input_path}: {found.keys} values of key column '{config.key_column}' occur on "
            f"more than one row ({found.extra_rows} extra rows), e.g. {found.describe()}. "
            "Deduplicate the file, use strategy 'group', or set duplicate_keys: keep to put "
            "rows with the same key in the same split."
        )


def _raise_if_too_small(
    input_path: Path,
    config: SplitConfig,
    rows: list[int],
    groups: tuple[set[bytes], set[bytes], set[bytes]],
    duplicates: DuplicateKeys,
) -> None:
    if config.strategy == "hash":
        units = sum(rows) - duplicates.extra_rows
        unit_name = "distinct keys"
    else:
        units = sum(len(split_groups) for split_groups in groups)
        unit_name = "groups"

    smallest = min(config.fractions)
    # 1e-9 absorbs float error such as 1 / 0.1 = 10.000000000000002.
    needed = math.ceil(1 / smallest - 1e-9)
    if units < needed:
        raise SplitError(
            f"{input_path}: {units} {unit_name} are too few for fractions "
            f"{list(config.fractions)}: at least {needed} are needed so that every split can "
            "receive one. Use a larger file or larger val and test fractions."
        )

    empty = [split for split, count in zip(SPLIT_NAMES, rows, strict=True) if count == 0]
    if empty:
        # Each unit misses a split with probability (1 - fraction), independently.
        advised = math.ceil(math.log(_EMPTY_SPLIT_RISK) / math.log(1 - smallest))
        raise SplitError(
            f"{input_path}: split {empty} received no rows: none of the {units} {unit_name} "
            f"hashed into its range with seed {config.seed}. Hash assignment needs about "
            f"{advised} {unit_name} for every split to be non-empty with "
            f"{1 - _EMPTY_SPLIT_RISK:.1%} probability; use a larger file."
        )
