"""Benchmark gnosis sync against `rclone copy --checksum` and `aws s3 sync` on a moto server.

Usage: python benchmarks/sync_benchmark.py [--total-mib 1024] [--files 200]

The data is seeded random bytes in `benchmarks/_work/volumes/veridica-datasets/bench/v1/`.
Each tool gets its own moto server process, reached through the counting proxy of the fault
tests (`gnosis_assets_tests/faults/proxy.py`), which reports the request body bytes that the
server received. Every tool runs three phases: cold, again with nothing changed, and with
one file rewritten. Wall time and peak RSS come from `/usr/bin/time -v`. Results are printed
as JSON and written to `benchmarks/_work/results.json`.

The gnosis runs go through `run_sync` with a catalog that lists only `bench`. The CLI cannot
take another catalog, and this path makes the same Dagster runs as the CLI.
"""

import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
WORK = ROOT / "_work"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "bench-access-key",
    "AWS_SECRET_ACCESS_KEY": "bench-secret-key",
    "AWS_DEFAULT_REGION": "us-east-1",
}
LARGE_FILE = 40 * 1024 * 1024  # bytes; above the 16 MiB multipart threshold
LARGE_COUNT = 4
CHANGED_FILE = "file_007.bin"


def make_volume(total: int, count: int, seed: int) -> Path:
    """Write `count` files of seeded random bytes summing to `total` bytes; return the folder."""
    folder = WORK / "volumes" / "veridica-datasets" / "bench" / "v1"
    if folder.exists():
        shutil.rmtree(WORK / "volumes")
    folder.mkdir(parents=True)
    (WORK / "volumes" / "veridica-models").mkdir()
    rng = random.Random(seed)
    small_total = total - LARGE_COUNT * LARGE_FILE
    weights = [rng.lognormvariate(0, 1.2) for _ in range(count - LARGE_COUNT)]
    sizes = [int(small_total * weight / sum(weights)) for weight in weights]
    sizes[-1] += small_total - sum(sizes)
    sizes += [LARGE_FILE] * LARGE_COUNT
    rng.shuffle(sizes)
    for index, size in enumerate(sizes):
        (folder / f"file_{index:03d}.bin").write_bytes(rng.randbytes(size))
    return folder


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_moto() -> tuple[subprocess.Popen, str]:
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return server, url
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError(f"moto_server did not start on port {port}")


def timed(command: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run a command under /usr/bin/time -v; return wall seconds, peak RSS and output."""
    result = subprocess.run(
        ["/usr/bin/time", "-v", *command],
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    peak_kib = 0
    for line in result.stderr.splitlines():
        if "Maximum resident set size" in line:
            peak_kib = int(line.split(":")[1])
    wall = 0.0
    for line in result.stderr.splitlines():
        if "Elapsed (wall clock)" in line:
            parts = line.rsplit(" ", 1)[1].split(":")
            wall = sum(float(part) * 60**index for index, part in enumerate(reversed(parts)))
    if result.returncode != 0:
        raise RuntimeError(f"{command[:3]} failed: {result.stderr[-2000:]}")
    return {"wall_s": round(wall, 2), "peak_rss_mib": round(peak_kib / 1024, 1), "out": result}


def rewrite_changed_file(folder: Path, original: bytes, seed: int) -> None:
    (folder / CHANGED_FILE).write_bytes(random.Random(seed + 1).randbytes(len(original)))


def run_tool(tool: str, folder: Path, original: bytes, seed: int) -> dict[str, Any]:
    from gnosis_assets_tests.faults.proxy import FaultProxy

    (folder / CHANGED_FILE).write_bytes(original)
    server, upstream = start_moto()
    proxy = FaultProxy(upstream).start()
    home = WORK / f"home-{tool}"
    shutil.rmtree(home, ignore_errors=True)
    bucket = f"bench-{tool}"
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(WORK),
        **CREDENTIALS,
        "AWS_ENDPOINT_URL_S3": proxy.url,
        "GNOSIS_HOME": str(home),
        "DAGSTER_HOME": str(home / "dagster"),
        "GNOSIS_VOLUMES": str(WORK / "volumes"),
        "GNOSIS_STORE": f"s3://{bucket}/team",
        "RCLONE_CONFIG_BENCH_TYPE": "s3",
        "RCLONE_CONFIG_BENCH_PROVIDER": "Other",
        "RCLONE_CONFIG_BENCH_ENDPOINT": proxy.url,
        "RCLONE_CONFIG_BENCH_ACCESS_KEY_ID": CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY": CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        "RCLONE_CONFIG_BENCH_REGION": "us-east-1",
        "GNOSIS_WORKERS": os.environ.get("GNOSIS_WORKERS", "4"),
    }
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=upstream,
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=CREDENTIALS["AWS_DEFAULT_REGION"],
    )
    client.create_bucket(Bucket=bucket)
    commands = {
        "gnosis": [sys.executable, __file__, "--run-gnosis"],
        "engine": [sys.executable, __file__, "--run-engine"],
        "rclone": [
            str(Path(sys.executable).with_name("rclone")),
            "copy",
            "--checksum",
            str(folder),
            f"bench:{bucket}/team/datasets/bench/v1",
        ],
        "aws": [
            str(Path(sys.executable).with_name("aws")),
            "s3",
            "sync",
            "--only-show-errors",
            str(folder),
            f"s3://{bucket}/team/datasets/bench/v1",
            "--endpoint-url",
            proxy.url,
        ],
    }
    phases = {}
    try:
        for phase in ("cold", "unchanged", "one_changed"):
            if phase == "one_changed":
                rewrite_changed_file(folder, original, seed)
            before = dict(proxy.stats.body_bytes)
            measured = timed(commands[tool], env)
            received = sum(
                proxy.stats.body_bytes[method] - before.get(method, 0) for method in ("PUT", "POST")
            )
            entry = {
                "wall_s": measured["wall_s"],
                "peak_rss_mib": measured["peak_rss_mib"],
                "bytes_received_by_server": received,
            }
            if tool in ("gnosis", "engine"):
                entry.update(json.loads(measured["out"].stdout.strip().splitlines()[-1]))
            phases[phase] = entry
    finally:
        proxy.stop()
        server.kill()
        server.wait()
        shutil.rmtree(home, ignore_errors=True)
    return phases


def run_gnosis_inside() -> None:
    """Sync the bench source through `run_sync` (Dagster runs and report included)."""
    from gnosis_assets.defs.runner import run_sync
    from gnosis_assets.instance import open_instance
    from gnosis_assets.settings import Settings
    from gnosis_assets.sync.catalog import Catalog, SourceSpec

    settings = Settings.from_env()
    started = time.perf_counter()
    catalog = Catalog(sources={"bench": SourceSpec("bench")})
    outcome = run_sync(settings, open_instance(settings), catalog=catalog, log_level="WARNING")
    totals = outcome.report["totals"]
    print(
        json.dumps(
            {
                "in_process_s": round(time.perf_counter() - started, 2),
                "status": outcome.report["status"],
                "bytes_read": totals["bytes_read"],
                "bytes_uploaded": totals["bytes_uploaded"],
                "files_trusted_from_cache": totals["files_trusted_from_cache"],
            }
        )
    )


def run_engine_inside() -> None:
    """Sync the bench source with `sync_dataset_version` alone, then time the listing floor."""
    import logging

    from gnosis_assets.settings import Settings
    from gnosis_assets.stores.factory import open_store
    from gnosis_assets.sync.cache import HashCache
    from gnosis_assets.sync.context import Progress, SyncContext
    from gnosis_assets.sync.datasets import sync_dataset_version
    from gnosis_assets.sync.metadata import read_metadata
    from gnosis_assets.volumes.factory import datasets_volume, models_volume

    settings = Settings.from_env()
    log = logging.getLogger("bench")
    store = open_store(settings)
    volume = datasets_volume(settings)

    started = time.perf_counter()
    listed = list(volume.iterdir("bench/v1", recursive=True))
    read_metadata(store, "bench", "v1")
    listing_s = time.perf_counter() - started

    cache = HashCache(settings.home / "hash_cache.sqlite")
    context = SyncContext(
        settings=settings,
        datasets_volume=volume,
        models_volume=models_volume(settings),
        store=store,
        cache=cache,
        run_id="bench-engine",
        log=log,
        progress=Progress(log),
    )
    started = time.perf_counter()
    result = sync_dataset_version(context, "bench", "v1")
    engine_s = time.perf_counter() - started
    cache.close()
    print(
        json.dumps(
            {
                "in_process_s": round(engine_s, 2),
                "listing_and_manifest_s": round(listing_s, 3),
                "listed_entries": len(listed),
                "status": result.status,
                "bytes_read": result.read_bytes,
                "bytes_uploaded": result.uploaded_bytes,
                "files_trusted_from_cache": result.trusted_files,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--total-mib", type=int, default=1024, help="data size in MiB")
    parser.add_argument("--files", type=int, default=200, help="number of files")
    parser.add_argument("--seed", type=int, default=7, help="seed of sizes and bytes")
    parser.add_argument("--tools", default="gnosis,engine,rclone,aws", help="comma-separated")
    parser.add_argument("--run-gnosis", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--run-engine", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT.parent))
    if args.run_gnosis:
        run_gnosis_inside()
        return
    if args.run_engine:
        run_engine_inside()
        return

    folder = make_volume(args.total_mib * 1024 * 1024, args.files, args.seed)
    original = (folder / CHANGED_FILE).read_bytes()
    files = sorted(str(path) for path in folder.iterdir())
    hashing = timed(["sha256sum", *files], dict(os.environ))
    results: dict[str, Any] = {
        "total_bytes": sum(Path(name).stat().st_size for name in files),
        "files": len(files),
        "sha256sum": {"wall_s": hashing["wall_s"], "peak_rss_mib": hashing["peak_rss_mib"]},
    }
    for tool in args.tools.split(","):
        results[tool] = run_tool(tool, folder, original, args.seed)
        print(tool, json.dumps(results[tool]), flush=True)
    (WORK / "results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
