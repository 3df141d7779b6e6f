"""Entry point of the `gnosis` command."""

import argparse
import json
import logging
import sys
from collections.abc import Sequence

from gnosis_assets.settings import Settings


def _sync(args: argparse.Namespace, settings: Settings) -> int:
    from gnosis_assets.cli.summary import format_sync_summary
    from gnosis_assets.defs.runner import SyncBusyError, run_sync
    from gnosis_assets.instance import open_instance

    instance = open_instance(settings)
    try:
        outcome = run_sync(settings, instance, full=args.full, log_level=args.log_level)
    except SyncBusyError as error:
        print(f"gnosis sync: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(outcome.report, indent=2, sort_keys=True, default=str))
    else:
        print(format_sync_summary(outcome.report, settings))
    return 0 if outcome.ok else 1


def _verify(args: argparse.Namespace, settings: Settings) -> int:
    from gnosis_assets.cli.summary import format_verify_summary
    from gnosis_assets.registry.client import open_registry
    from gnosis_assets.stores.factory import open_store
    from gnosis_assets.verify import verify_store

    store = open_store(settings)
    with open_registry(settings) as registry:
        report = verify_store(store, registry, remote=args.remote)
        registry.insert_verification(report.to_dict())
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, sort_keys=True))
    else:
        print(format_verify_summary(report))
    return 0 if report.ok else 1


def _stats(args: argparse.Namespace, settings: Settings) -> int:
    from gnosis_assets.registry.client import open_registry
    from gnosis_assets.registry.stats import registry_stats

    with open_registry(settings) as registry:
        print(json.dumps(registry_stats(registry), indent=2, sort_keys=True, default=str))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gnosis",
        description="Publish curated datasets, split sets and evaluation reports from the Modal "
        "volumes to S3 with checksums, lineage and a MongoDB registry.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    sync = commands.add_parser("sync", help="sync both volumes to the store and the registry")
    sync.add_argument("--json", action="store_true", help="print the sync report as JSON")
    sync.add_argument(
        "--full", action="store_true", help="ignore the hash cache and re-read every file"
    )
    sync.add_argument(
        "--log-level",
        default="INFO",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="level of the Dagster run logs on stderr (default INFO)",
    )
    sync.set_defaults(handler=_sync)

    verify = commands.add_parser(
        "verify", help="re-hash every recorded object and report missing, extra and mismatched"
    )
    verify.add_argument("--json", action="store_true", help="print the full report as JSON")
    verify.add_argument(
        "--remote",
        action="store_true",
        help="compare with the checksums S3 keeps instead of downloading, where it keeps one",
    )
    verify.set_defaults(handler=_verify)

    stats = commands.add_parser("stats", help="print the registry stats as JSON")
    stats.set_defaults(handler=_stats)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("gnosis_assets").setLevel(logging.INFO)
    try:
        settings = Settings.from_env()
    except ValueError as error:
        print(f"gnosis: {error}", file=sys.stderr)
        return 2
    return int(args.handler(args, settings))


if __name__ == "__main__":
    sys.exit(main())
