"""Load the registry API's two registry-wide endpoints and report latency and throughput.

The registry gets 1,000 dataset versions of 10 files each (50 sources of 20 versions, each
version with a 3-file split set), 100 model versions and 50 sync reports, in a SecantusDB
server. The API then runs under uvicorn in a subprocess, and `/api/registry/stats` and
`/api/registry/discover/summary` are loaded in turn by N concurrent clients for a fixed time
each. Everything runs on 127.0.0.1 and stops by itself.

The load generator is `hey` (Debian package `hey`) when installed, else an asyncio httpx
client in this process. Also reported: the time to rebuild each cached response from the
registry, which is what a request would cost without the API's in-process cache.

Usage:
    python benchmarks/api_benchmark.py [--duration 30] [--concurrency 20] [--client hey|httpx]
        [--cache-ttl 5] [--output results.json]
"""

import argparse
import asyncio
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from importlib import metadata as package_metadata
from pathlib import Path
from typing import Any

import httpx
import pymongo

from gnosis_assets.api.queries import discover_summary
from gnosis_assets.registry.client import Registry
from gnosis_assets.registry.embedded import ensure_embedded_server, stop_embedded_server
from gnosis_assets.registry.records import artifact_documents, model_document
from gnosis_assets.registry.stats import registry_stats
from gnosis_assets_tests.builders import (
    dataset_metadata,
    model_record,
    registry_dataset,
    sync_report,
)

SOURCES = 50
VERSIONS_PER_SOURCE = 20
FILES_PER_VERSION = 10
MODELS = 20
VERSIONS_PER_MODEL = 5
SYNC_REPORTS = 50
ENDPOINTS = ["/api/registry/stats", "/api/registry/discover/summary"]
TARGET_P99_MS = {"/api/registry/stats": 50.0, "/api/registry/discover/summary": 250.0}


def fill(registry: Registry) -> None:
    """Register the dataset versions, model versions and sync reports described above."""
    started = time.perf_counter()
    metadatas = []
    for source_index in range(SOURCES):
        source = f"source{source_index:02d}"
        for version_index in range(VERSIONS_PER_SOURCE):
            version = f"v{version_index:03d}"
            files = {
                f"part-{index:02d}.csv": f"id,value\n{source},{version},{index}\n".encode()
                for index in range(FILES_PER_VERSION)
            }
            splits = {
                "default": {"train": b"id\n1\n", "validation": b"id\n2\n", "test": b"id\n3\n"}
            }
            metadata = dataset_metadata(source, version, files, splits)
            registry.upsert_dataset(registry_dataset(metadata))
            metadatas.append(metadata)

    for model_index in range(MODELS):
        for version_index in range(VERSIONS_PER_MODEL):
            used = [
                metadatas[(model_index * 37 + version_index * 11 + k) % len(metadatas)]
                for k in range(3)
            ]
            declared = [
                {
                    "source": item["source"],
                    "version": item["version"],
                    "role": role,
                    "split": "default",
                    "content_hash": item["content_hash"],
                }
                for item, role in zip(used, ("train", "validation", "evaluation"), strict=True)
            ]
            record = model_record(
                f"model{model_index:02d}",
                f"v{version_index}",
                declared,
                {"model.yaml": b"model: m\n", "reports/eval.json": b"{}", "weights.bin": b"\0"},
            )
            registry.upsert_model(model_document(record))
            for artifact in artifact_documents(record):
                registry.upsert_artifact(artifact)

    first = datetime(2024, 1, 1, tzinfo=UTC)
    for index in range(SYNC_REPORTS):
        registry.insert_sync_report(sync_report(first + timedelta(hours=index), metadatas[:20]))
    print(f"registered {len(metadatas)} dataset versions in {time.perf_counter() - started:.1f} s")


def rebuild_costs(registry: Registry, repeats: int = 5) -> dict[str, float]:
    """Build each endpoint's response body from the registry `repeats` times; return median ms."""
    costs = {}
    for path, build in (
        ("/api/registry/stats", lambda: registry_stats(registry)),
        ("/api/registry/discover/summary", lambda: discover_summary(registry)),
    ):
        timings = []
        for _ in range(repeats):
            started = time.perf_counter()
            build()
            timings.append((time.perf_counter() - started) * 1000)
        costs[path] = round(statistics.median(timings), 1)
    return costs


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_api(
    mongodb_uri: str, database: str, home: Path, port: int, cache_ttl_s: float
) -> subprocess.Popen:
    code = (
        "from gnosis_assets.api import serve; from gnosis_assets.settings import Settings; "
        f"serve(Settings.from_env(), host='127.0.0.1', port={port}, access_log=False, "
        f"cache_ttl_s={cache_ttl_s!r})"
    )
    environment = {
        **os.environ,
        "MONGODB_URI": mongodb_uri,
        "GNOSIS_MONGODB_DATABASE": database,
        "GNOSIS_HOME": str(home),
    }
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"the API did not respond on 127.0.0.1:{port} within 30 s")


def run_hey(url: str, duration: int, concurrency: int) -> dict[str, Any]:
    output = subprocess.run(
        ["hey", "-z", f"{duration}s", "-c", str(concurrency), url],
        capture_output=True,
        text=True,
        check=True,
        timeout=duration + 60,
    ).stdout
    percentiles = {
        int(match[0]): float(match[1]) * 1000
        for match in re.findall(r"(\d+)%% in ([0-9.]+) secs".replace("%%", "%"), output)
    }
    statuses = {int(code): int(count) for code, count in re.findall(r"\[(\d+)\]\s+(\d+)", output)}
    if 50 not in percentiles or 99 not in percentiles:
        # hey 0.1.4 prints "0% in 0.0000 secs" for p99 when a run has few responses.
        raise RuntimeError(
            f"hey printed no p50 or p99 for {url}; rerun with --client httpx:\n{output}"
        )
    return {
        "requests": sum(statuses.values()),
        "statuses": statuses,
        "throughput_rps": float(re.search(r"Requests/sec:\s+([0-9.]+)", output)[1]),
        "p50_ms": round(percentiles[50], 2),
        "p99_ms": round(percentiles[99], 2),
    }


async def _httpx_load(url: str, duration: int, concurrency: int) -> dict[str, Any]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    deadline = time.perf_counter() + duration
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def worker() -> None:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                response = await client.get(url)
                await response.aread()
                latencies.append((time.perf_counter() - started) * 1000)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "requests": len(ordered),
        "statuses": statuses,
        "throughput_rps": round(len(ordered) / elapsed, 1),
        "p50_ms": round(ordered[len(ordered) // 2], 2),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 2),
    }


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        memory_kb = 0
    return {
        "nproc": os.cpu_count(),
        "memory_gib": round(memory_kb / 1024 / 1024, 1),
        "cpu": cpu,
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def versions() -> dict[str, str]:
    found = {}
    for name in ("fastapi", "uvicorn", "pydantic", "starlette", "pymongo", "secantusdb", "httpx"):
        try:
            found[name] = package_metadata.version(name)
        except package_metadata.PackageNotFoundError:
            found[name] = "not installed"
    if shutil.which("dpkg-query"):
        result = subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", "hey"], capture_output=True, text=True
        )
        if result.returncode == 0:
            found["hey"] = result.stdout
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=30, help="seconds of load per endpoint")
    parser.add_argument("--concurrency", type=int, default=20, help="concurrent clients")
    parser.add_argument(
        "--client",
        choices=["hey", "httpx"],
        default=None,
        help="load generator; default: hey if installed, else httpx",
    )
    parser.add_argument(
        "--cache-ttl",
        type=float,
        default=5.0,
        help="seconds the API reuses its stats and summary responses; 0 disables the cache",
    )
    parser.add_argument("--output", type=Path, help="write the results as JSON to this file")
    arguments = parser.parse_args()
    client_kind = arguments.client or ("hey" if shutil.which("hey") else "httpx")

    results: dict[str, Any] = {
        "date": datetime.now(tz=UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": machine(),
        "versions": versions(),
        "client": client_kind,
        "duration_s": arguments.duration,
        "concurrency": arguments.concurrency,
        "cache_ttl_s": arguments.cache_ttl,
        "registry": {
            "dataset_versions": SOURCES * VERSIONS_PER_SOURCE,
            "files_per_version": FILES_PER_VERSION,
            "model_versions": MODELS * VERSIONS_PER_MODEL,
            "sync_reports": SYNC_REPORTS,
        },
        "endpoints": {},
    }
    with tempfile.TemporaryDirectory(prefix="gnosis-api-benchmark-") as folder:
        home = Path(folder)
        mongodb_folder = home / "mongodb"
        uri = ensure_embedded_server(mongodb_folder)
        api = None
        try:
            client: pymongo.MongoClient = pymongo.MongoClient(uri, tz_aware=True)
            registry = Registry(client["gnosis_benchmark"])
            registry.ensure_indexes()
            fill(registry)
            results["rebuild_ms"] = rebuild_costs(registry)
            client.close()

            port = free_port()
            api = start_api(uri, "gnosis_benchmark", home, port, arguments.cache_ttl)
            for path in ENDPOINTS:
                url = f"http://127.0.0.1:{port}{path}"
                response = httpx.get(url, timeout=30)
                response.raise_for_status()
                print(f"load {path} for {arguments.duration} s, {arguments.concurrency} clients")
                if client_kind == "hey":
                    measured = run_hey(url, arguments.duration, arguments.concurrency)
                else:
                    measured = asyncio.run(
                        _httpx_load(url, arguments.duration, arguments.concurrency)
                    )
                measured["response_bytes"] = len(response.content)
                measured["target_p99_ms"] = TARGET_P99_MS[path]
                measured["target_met"] = measured["p99_ms"] < TARGET_P99_MS[path]
                results["endpoints"][path] = measured
                print(json.dumps(measured))
        finally:
            if api is not None:
                api.terminate()
                api.wait(timeout=30)
            stop_embedded_server(mongodb_folder)

    text = json.dumps(results, indent=2)
    print(text)
    if arguments.output:
        arguments.output.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
