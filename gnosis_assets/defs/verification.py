"""The weekly verification job: re-hash every published object and record the result.

The op runs `verify_store` over the whole store, inserts the report into the registry's
`verifications` collection, and records one `objects_match_checksums` check result per
dataset version partition, so the asset page shows which versions failed.
"""

from typing import Any

from dagster import (
    AssetCheckEvaluation,
    AssetCheckSeverity,
    Failure,
    MetadataValue,
    OpExecutionContext,
    job,
    op,
)

from gnosis_assets.defs.assets.datasets import dataset_asset_key
from gnosis_assets.defs.resources import GnosisResource
from gnosis_assets.verify import VerifyReport, verify_store

CHECK_NAME = "objects_match_checksums"
VERIFY_JOB_NAME = "verify_store"


def _dataset_problems(report: VerifyReport, owner: str) -> list[dict[str, Any]]:
    return [
        {"key": problem.key, "kind": problem.kind, "detail": problem.detail}
        for problem in report.problems
        if problem.dataset == owner
    ]


@op(description="Re-hash every object the registry and the metadata.json files list.")
def verify_published_objects(context: OpExecutionContext, gnosis: GnosisResource) -> None:
    store = gnosis.get_store()
    with gnosis.get_registry() as registry:
        sources = {document["source"] for document in registry.datasets()}
        report = verify_store(store, registry)
        registry.insert_verification(report.to_dict())

    for owner, status in sorted(report.per_dataset.items()):
        source, _, version = owner.partition("/")
        if source not in sources:
            continue  # a model version: models have no checksum check yet
        problems = _dataset_problems(report, owner)
        # Dagster 1.13's log_event handles AssetCheckEvaluation, but its annotation omits it.
        context.log_event(
            AssetCheckEvaluation(  # type: ignore[arg-type]
                asset_key=dataset_asset_key(source),
                check_name=CHECK_NAME,
                passed=status == "ok",
                partition=version,
                severity=AssetCheckSeverity.ERROR,
                metadata={
                    "verified_at": report.checked_at,
                    "problems": MetadataValue.json(problems),
                    "mode": report.mode,
                },
            )
        )

    summary = report.to_dict()
    context.log.info(
        "verified %d objects (%d bytes) in %s: %d missing, %d mismatched, %d extra",
        report.objects_checked,
        report.bytes_checked,
        report.store,
        summary["missing"],
        summary["mismatched"],
        summary["extra"],
    )
    if not report.ok:
        raise Failure(
            description=f"{len(report.problems)} problems in {report.store}. See the "
            "verifications collection or `gnosis verify --json` for the list",
            metadata={"problems": MetadataValue.json(summary["problems"][:100])},
        )


@job(name=VERIFY_JOB_NAME, description="Re-verify every published object against its record.")
def verify_store_job() -> None:
    verify_published_objects()
