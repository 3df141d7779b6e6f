"""SIGKILL `gnosis sync` at seeded random moments, then check that a rerun converges.

Each seed kills one sync of the small volume (gdsc plus a 36 MiB file that goes up in three
multipart parts on S3) after a delay drawn from the whole length of a clean run, reruns the
sync without a kill, and compares the end state with that of one clean run: the same object
keys and metadata.json content hashes, a registry that records the metadata.json in the store,
`verify_store` without problems, no `_staging/` objects and no unfinished uploads.

Not covered here: a kill during the rerun, and a power loss (tmpfs holds the state folders).
"""

import random
from collections.abc import Callable
from pathlib import Path

import pytest

from gnosis_assets_tests.faults.conftest import Reference, TargetFactory
from gnosis_assets_tests.faults.harness import (
    assert_converged,
    kill_after,
    run_cli,
    snapshot,
    start_cli,
)

SEEDS = range(20)
MIN_DELAY = 0.3  # seconds; earlier kills land before the CLI has imported Dagster


def store_kind_for(seed: int) -> str:
    return "s3" if seed % 3 == 2 else "local"


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_killed_sync_converges_on_rerun(
    seed: int,
    reference: Callable[[str], Reference],
    blob_volumes: Path,
    target_factory: TargetFactory,
) -> None:
    kind = store_kind_for(seed)
    clean_state, clean_seconds = reference(kind)
    delay = random.Random(seed).uniform(MIN_DELAY, clean_seconds * 1.1)
    target = target_factory(blob_volumes, kind)

    process = start_cli(target, "sync")
    killed = kill_after(process, delay)
    if not killed:
        assert process.returncode == 0

    rerun = run_cli(target, "sync")
    assert rerun.returncode == 0, f"kill after {delay:.2f}s: {rerun.stderr[-3000:]}"
    assert_converged(snapshot(target), clean_state)
