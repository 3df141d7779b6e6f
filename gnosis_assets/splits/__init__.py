"""Deterministic train/val/test splits of curated dataset files.

Rows go to a split by a keyed BLAKE2b hash of their key, group key or Bemis-Murcko scaffold,
so the same file, config and seed give the same bytes on any machine and in any process.
"""

from gnosis_assets.splits.checks import CheckResult, verify_split
from gnosis_assets.splits.config import SPLIT_NAMES, SplitConfig
from gnosis_assets.splits.errors import SplitError
from gnosis_assets.splits.manifest import MANIFEST_FORMAT_VERSION, SplitManifest
from gnosis_assets.splits.split import split_file

__all__ = [
    "MANIFEST_FORMAT_VERSION",
    "SPLIT_NAMES",
    "CheckResult",
    "SplitConfig",
    "SplitError",
    "SplitManifest",
    "split_file",
    "verify_split",
]
