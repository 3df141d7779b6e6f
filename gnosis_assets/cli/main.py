"""Entry point of the `gnosis` command."""

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from gnosis_assets.settings import Settings


def _sync(args: argparse.Namespace, settings: Settings) -> int:
    from gnosis_assets.cli.summary import format_sync_summary
    from gnosis_assets.defs.runner import SyncBusyError, run_sync
    from gnosis_assets.instance import open_instance
    from gnosis_assets.stores.base import StoreError
    from gnosis_assets.volumes.base import VolumeError

    # On a terminal the progress line shows what happens; elsewhere plain INFO lines do.
    log_level = args.log_level or ("WARNING" if sys.stderr.isatty() else "INFO")
    logging.getLogger("gnosis_assets").setLevel(log_level)
    instance = open_instance(settings)
    try:
        outcome = run_sync(settings, instance, full=args.full, log_level=log_level)
    except SyncBusyError as error:
        print(f"gnosis sync: {error}", file=sys.stderr)
        return 2
    except (StoreError, VolumeError) as error:
        print(f"gnosis sync: {error}", file=sys.stderr)
        return 1
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


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from gnosis_assets.api import serve

    serve(settings, host=args.host, port=args.port)
    return 0


def _lineage(args: argparse.Namespace, settings: Settings) -> int:
    from gnosis_assets.lineage import (
        LineageNotFoundError,
        format_lineage_tree,
        lineage_tree,
        openlineage_events,
    )
    from gnosis_assets.registry.client import open_registry

    with open_registry(settings) as registry:
        try:
            tree = lineage_tree(registry, args.model, args.version)
        except LineageNotFoundError as error:
            print(f"gnosis lineage: {error}", file=sys.stderr)
            return 1
    if args.openlineage:
        print(json.dumps(openlineage_events(tree), indent=2, sort_keys=True, default=str))
    elif args.json:
        print(json.dumps(tree, indent=2, sort_keys=True, default=str))
    else:
        print(format_lineage_tree(tree))
    return 0


def _fetch(args: argparse.Namespace, settings: Settings) -> int:
    from gnosis_assets.fetch import FetchError, fetch_dataset
    from gnosis_assets.stores.factory import open_store

    try:
        result = fetch_dataset(
            open_store(settings),
            args.source,
            args.version,
            Path(args.dest),
            split=args.split,
            overwrite=args.overwrite,
        )
    except FetchError as error:
        print(f"gnosis fetch: {error}", file=sys.stderr)
        return 1
    print(
        f"fetched {args.source}/{args.version} to {result.dest}: {len(result.files)} files, "
        f"{result.total_bytes} bytes, every SHA256 verified (content hash {result.content_hash})"
    )
    return 0


def _registry_server(args: argparse.Namespace, settings: Settings) -> int:
    from gnosis_assets.registry.embedded import ensure_embedded_server, stop_embedded_server

    folder = settings.home / "mongodb"
    if args.action == "start":
        print(ensure_embedded_server(folder))
    elif stop_embedded_server(folder):
        print(f"stopped the embedded SecantusDB server of {folder}")
    else:
        print(f"no embedded SecantusDB server runs for {folder}")
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
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="level of the run logs on stderr (default WARNING on a terminal, which shows a "
        "progress line instead, and INFO otherwise)",
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

    serve = commands.add_parser("serve", help="serve the read-only registry HTTP API")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8001, help="TCP port (default 8001)")
    serve.set_defaults(handler=_serve)

    lineage = commands.add_parser(
        "lineage", help="print model version -> dataset versions -> split sets -> files"
    )
    lineage.add_argument("model", help="model name, e.g. gnosis-i")
    lineage.add_argument("version", help="model version, e.g. v1")
    output = lineage.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print the lineage tree as JSON")
    output.add_argument(
        "--openlineage", action="store_true", help="print OpenLineage run events as JSON"
    )
    lineage.set_defaults(handler=_lineage)

    fetch = commands.add_parser(
        "fetch", help="download a dataset version and verify every file against metadata.json"
    )
    fetch.add_argument("source", help="dataset source, e.g. chembl")
    fetch.add_argument("version", help="dataset version, e.g. chembl_27")
    fetch.add_argument("dest", help="destination folder; it must not exist unless --overwrite")
    fetch.add_argument("--split", help="fetch only this split set, e.g. default")
    fetch.add_argument(
        "--overwrite", action="store_true", help="replace DEST once the new copy is verified"
    )
    fetch.set_defaults(handler=_fetch)

    server = commands.add_parser(
        "registry-server",
        help="start or stop the embedded SecantusDB server of the state folder (only used "
        "when MONGODB_URI is unset; commands start it on demand and leave it running)",
    )
    server.add_argument("action", choices=["start", "stop"])
    server.set_defaults(handler=_registry_server)
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
