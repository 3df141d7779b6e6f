"""Deterministic train/val/test splits of curated dataset files.

Rows go to a split by a keyed BLAKE2b hash of their key, group key or Bemis-Murcko scaffold,
so the same file, config and seed give the same bytes on any machine and in any process.

The public names below are imported on first use, so that the split worker processes, which
import only `gnosis_assets.splits.worker`, start without loading NumPy.
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gnosis_assets.splits.checks import CheckResult, verify_split
    from gnosis_assets.splits.config import SPLIT_NAMES, SplitConfig
    from gnosis_assets.splits.errors import SplitError
    from gnosis_assets.splits.manifest import MANIFEST_FORMAT_VERSION, SplitManifest
    from gnosis_assets.splits.split import split_file

# Public name -> module that defines it.
_MODULES = {
    "MANIFEST_FORMAT_VERSION": "gnosis_assets.splits.manifest",
    "SPLIT_NAMES": "gnosis_assets.splits.config",
    "CheckResult": "gnosis_assets.splits.checks",
    "SplitConfig": "gnosis_assets.splits.config",
    "SplitError": "gnosis_assets.splits.errors",
    "SplitManifest": "gnosis_assets.splits.manifest",
    "split_file": "gnosis_assets.splits.split",
    "verify_split": "gnosis_assets.splits.checks",
}

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


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
