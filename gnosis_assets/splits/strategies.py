"""Assignment of rows to train, val and test by a keyed hash of their key or group key.

Each key's UTF-8 bytes (the cell bytes as read) go through BLAKE2b with a 16-byte digest, the
seed as an 8-byte big-endian key and a fixed personalization string. The first 8 digest bytes,
read as a big-endian integer u, choose the split: train if u < floor(train * 2**64), val if
u < floor((train + val) * 2**64), else test. The thresholds are computed with exact rationals
from the float fractions. The result depends only on the key bytes, the seed and the
fractions, so row order, process, platform and library versions cannot change it.
"""

import hashlib
import math
from dataclasses import dataclass, field
from fractions import Fraction

from gnosis_assets.splits.reader import Batch
from gnosis_assets.splits.scaffolds import ACYCLIC, INVALID, ScaffoldKeyer

HASH_PERSON = b"gnosis.split.v1"
# Increase when any rule above changes, because old manifests then no longer reproduce.
ALGORITHM_VERSION = 1
HASH_DESCRIPTION = (
    "blake2b(digest_size=16, key=seed as 8-byte big-endian, person=b'gnosis.split.v1') "
    "of the key cell bytes; split by the first 8 digest bytes as a big-endian integer "
    "against floor(cumulative fraction * 2**64)"
)
MAX_EXAMPLES = 5


@dataclass
class Examples:
    """Count of a problem and the first few (line number, value) examples."""

    count: int = 0
    samples: list[tuple[int, str]] = field(default_factory=list)

    def add(self, line_number: int, value: bytes) -> None:
        self.count += 1
        if len(self.samples) < MAX_EXAMPLES:
            self.samples.append((line_number, value.decode("utf-8", errors="replace")))

    def describe(self) -> str:
        return ", ".join(f"line {line}: {value!r}" for line, value in self.samples)


Routed = tuple[list[bytes], list[bytes], list[bytes]]


class NeedsChecks(Exception):
    """A fast block contains a row that only the checked path can report precisely."""


@dataclass
class Tally:
    """Per-run counters filled while rows are assigned."""

    empty_keys: Examples = field(default_factory=Examples)
    invalid_smiles: Examples = field(default_factory=Examples)
    acyclic_rows: int = 0
    # Scaffold strategy: SMILES bytes -> (split index, group digest, kind), so RDKit parses
    # each distinct SMILES once per run.
    scaffold_cache: dict[bytes, tuple[int, bytes, int]] = field(default_factory=dict)


class HashAssigner:
    """Keyed-hash split assignment for one seed and one set of fractions."""

    def __init__(self, seed: int, fractions: tuple[float, float, float]) -> None:
        self.seed = seed
        self.fractions = fractions
        base = hashlib.blake2b(key=seed.to_bytes(8, "big"), person=HASH_PERSON, digest_size=16)
        # Copying the keyed state is faster than keying a new hasher for every row.
        self.new_hasher = base.copy
        train, val = Fraction(fractions[0]), Fraction(fractions[1])
        # 16-byte big-endian bounds: comparing digests as bytes compares them as integers,
        # and a bound with 8 zero bytes at the end compares only the first 8 digest bytes.
        self.train_below = (math.floor(train * 2**64) << 64).to_bytes(16, "big")
        self.val_below = (math.floor((train + val) * 2**64) << 64).to_bytes(16, "big")

    def digest(self, key: bytes) -> bytes:
        hasher = self.new_hasher()
        hasher.update(key)
        return hasher.digest()

    def split_index(self, digest: bytes) -> int:
        """Return 0, 1 or 2 for train, val or test."""
        if digest < self.train_below:
            return 0
        return 1 if digest < self.val_below else 2


def route_fast_block(
    lines: list[bytes], key_index: int, columns: int, assigner: HashAssigner
) -> tuple[Routed, Routed]:
    """Route unchecked comma-form lines by the hash of their key cell; return lines and digests.

    This is the hot loop of the hash and group strategies, so it does only what the common row
    needs. It raises NeedsChecks on the first blank line, wrong cell count or empty key, and
    the caller then routes the block with `route_batch`.
    """
    train, val, test = [], [], []
    train_digests, val_digests, test_digests = [], [], []
    new_hasher = assigner.new_hasher
    train_below = assigner.train_below
    val_below = assigner.val_below
    commas = columns - 1
    split_limit = key_index + 1

    for line in lines:
        if line.count(b",") != commas:
            raise NeedsChecks
        key = line.split(b",", split_limit)[key_index]
        if not key.strip():
            raise NeedsChecks
        hasher = new_hasher()
        hasher.update(key)
        digest = hasher.digest()
        if digest < train_below:
            train.append(line)
            train_digests.append(digest)
        elif digest < val_below:
            val.append(line)
            val_digests.append(digest)
        else:
            test.append(line)
            test_digests.append(digest)
    return (train, val, test), (train_digests, val_digests, test_digests)


def route_batch(batch: Batch, assigner: HashAssigner, tally: Tally) -> tuple[Routed, Routed]:
    """Route parsed records by the hash of their key cell; return lines and digests.

    Rows with an empty or whitespace-only key are counted in the tally and written nowhere.
    """
    routed: Routed = ([], [], [])
    digests: Routed = ([], [], [])
    for line, key, line_number in zip(batch.lines, batch.keys, batch.line_numbers, strict=True):
        if not key.strip():
            tally.empty_keys.add(line_number, key)
            continue
        digest = assigner.digest(key)
        index = assigner.split_index(digest)
        routed[index].append(line)
        digests[index].append(digest)
    return routed, digests


def route_by_scaffold(
    batch: Batch, assigner: HashAssigner, keyer: ScaffoldKeyer, tally: Tally
) -> tuple[Routed, Routed]:
    """Route parsed records by the hash of the Bemis-Murcko group key of their SMILES.

    Unparseable SMILES are counted. They are routed as their own groups only when the keyer
    was built with `invalid_as_group`, else they are written nowhere because the run fails.
    """
    routed: Routed = ([], [], [])
    digests: Routed = ([], [], [])
    cache = tally.scaffold_cache

    for line, smiles, line_number in zip(batch.lines, batch.keys, batch.line_numbers, strict=True):
        if not smiles.strip():
            tally.empty_keys.add(line_number, smiles)
            continue
        cached = cache.get(smiles)
        if cached is None:
            group_key, kind = keyer.group_key(smiles)
            digest = assigner.digest(group_key)
            cached = (assigner.split_index(digest), digest, kind)
            cache[smiles] = cached
        index, digest, kind = cached
        if kind == INVALID:
            tally.invalid_smiles.add(line_number, smiles)
            if not keyer.invalid_as_group:
                continue
        elif kind == ACYCLIC:
            tally.acyclic_rows += 1
        routed[index].append(line)
        digests[index].append(digest)
    return routed, digests
