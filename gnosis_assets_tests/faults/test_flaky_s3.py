"""Sync through a proxy that fails S3 requests: transient faults heal, fatal ones stop at once.

The proxy (`proxy.py`) sits on 127.0.0.1 in front of the moto server, and the `gnosis sync`
subprocess reaches it through AWS_ENDPOINT_URL_S3. Transient faults are 500 InternalError,
503 SlowDown, and connections dropped before or after moto handled the request; botocore's
standard retry mode (six attempts) must absorb them. 403 AccessDenied and a missing bucket
cannot heal, so the sync must stop on the first request and name the bucket and the fix.
"""

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gnosis_assets_tests.faults.conftest import Reference, TargetFactory
from gnosis_assets_tests.faults.harness import assert_converged, run_cli, snapshot
from gnosis_assets_tests.faults.proxy import (
    DROP_AFTER,
    DROP_BEFORE,
    ERROR_500,
    ERROR_503,
    FaultPlan,
    FaultProxy,
)


@pytest.fixture
def proxy(s3_endpoint: str) -> Iterator[FaultProxy]:
    with FaultProxy(s3_endpoint) as running:
        yield running


def flaky_plan(seed: int) -> FaultPlan:
    return FaultPlan(
        seed=seed,
        rate=0.15,
        kinds=(ERROR_500, ERROR_503, DROP_BEFORE, DROP_AFTER),
        max_faults=12,
        # The first upload of this file always gets a 503, so every run has a counted retry.
        first_attempt_of=("GDSC1_drug_list",),
    )


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_flaky_endpoint_retries_or_converges(
    seed: int,
    proxy: FaultProxy,
    blob_volumes: Path,
    target_factory: TargetFactory,
    reference: Callable[[str], Reference],
) -> None:
    clean_state, _seconds = reference("s3")
    target = target_factory(blob_volumes, "s3", endpoint=proxy.url)
    proxy.set_plan(flaky_plan(seed))

    result = run_cli(target, "sync", "--json")
    faults = dict(proxy.stats.faults)

    assert sum(faults.values()) >= 1
    if result.returncode == 0:
        report = json.loads(result.stdout)
        assert report["status"] == "ok"
        assert report["totals"]["retries"] >= 1
        assert report["totals"]["retries"] <= sum(faults.values())
    else:
        # A fault botocore cannot retry (a dropped CompleteMultipartUpload reply, say) must
        # fail the version cleanly; the rerun without faults publishes it.
        proxy.set_plan(FaultPlan())
        rerun = run_cli(target, "sync")
        assert rerun.returncode == 0, f"faults {faults}: {rerun.stderr[-3000:]}"
    proxy.set_plan(FaultPlan())
    assert_converged(snapshot(target), clean_state)


def test_access_denied_fails_at_once(
    proxy: FaultProxy, blob_volumes: Path, target_factory: TargetFactory
) -> None:
    target = target_factory(blob_volumes, "s3", endpoint=proxy.url)
    bucket = target.settings.store.split("/")[2]
    proxy.set_plan(FaultPlan(deny_all=True))

    result = run_cli(target, "sync")

    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert f"s3://{bucket}/team" in last_line
    assert "AccessDenied" in last_line
    assert "check the credentials and the bucket policy" in last_line
    # botocore does not retry a 403, and the sync stops at its first request.
    assert sum(proxy.stats.requests.values()) == 1


def test_missing_bucket_fails_at_once(
    proxy: FaultProxy, blob_volumes: Path, target_factory: TargetFactory
) -> None:
    target = target_factory(blob_volumes, "local")
    target.env["AWS_ENDPOINT_URL_S3"] = proxy.url
    target.env["GNOSIS_STORE"] = "s3://gnosis-no-such-bucket/team"

    result = run_cli(target, "sync")

    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert "s3://gnosis-no-such-bucket/team" in last_line
    assert "NoSuchBucket" in last_line
    assert "create the bucket or fix the bucket name in GNOSIS_STORE" in last_line
    assert sum(proxy.stats.requests.values()) == 1
