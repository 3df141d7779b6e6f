"""Benchmark split_file against pandas.read_csv on resampled copies of the EGFR extract.

For each size, the script builds a CSV by drawing rows of the shipped ChEMBL EGFR extract with
a fixed seed and giving each row a unique key (`<molecule_chembl_id>_<row number>`). It then
measures, each in a fresh subprocess so that peak RSS is per task: `pandas.read_csv` of the
file with default settings, `split_file` with the hash strategy on the key, and optionally
`split_file` with the scaffold strategy on `smiles`. Times are the median of `--repeats` runs.

    python benchmarks/split_benchmark.py --sizes 2000000 20000000 --scaffold

Working files go to benchmarks/_work/ and are deleted at the end unless --keep is given.
"""

import argparse
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "benchmarks" / "_work"
SOURCE = REPO / "gnosis_assets/sample_volumes/veridica-datasets/chembl/chembl_27/EGFR_compounds.csv"


def build_file(rows: int, path: Path) -> None:
    """Write `rows` resampled EGFR rows with unique index and key cells."""
    lines = SOURCE.read_bytes().split(b"\n")
    header = lines[0]
    pool = [line.split(b",", 2) for line in lines[1:] if line]
    rng = random.Random(20240601)
    with path.open("wb") as handle:
        handle.write(header + b"\n")
        for start in range(0, rows, 100_000):
            batch = []
            for row in range(start, min(start + 100_000, rows)):
                _, key, rest = rng.choice(pool)
                batch.append(b"%d,%s_%d,%s" % (row, key, row, rest))
            handle.write(b"\n".join(batch) + b"\n")


def measure(task: str, path: Path) -> dict[str, float]:
    """Run one task in this process and return seconds and peak RSS in MiB.

    Imports happen before the timer starts, so the seconds cover only reading or splitting.
    `max_rss_mib` is this process; `worker_max_rss_mib` is its largest child, which for
    split_hash is the largest worker process (0 when the split ran in-process).
    """
    if task == "read":
        import pandas
    from gnosis_assets.splits import SplitConfig, split_file

    if task == "split_hash":
        config = SplitConfig(file=path.name, key_column="molecule_chembl_id")
    else:
        config = SplitConfig(file=path.name, key_column="smiles", strategy="scaffold")
    if task == "split_scaffold":
        import rdkit.Chem.Scaffolds.MurckoScaffold  # noqa: F401

    started = time.perf_counter()
    if task == "read":
        pandas.read_csv(path)
    else:
        split_file(path, config, WORK / f"out_{task}")
    seconds = time.perf_counter() - started
    max_rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    worker_max_rss_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "seconds": seconds,
        "max_rss_mib": max_rss_kib / 1024,
        "worker_max_rss_mib": worker_max_rss_kib / 1024,
    }


def run_fresh(task: str, path: Path) -> dict[str, float]:
    completed = subprocess.run(
        [sys.executable, __file__, "--measure", task, str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    return json.loads(completed.stdout)


def machine() -> dict[str, str]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory_kib = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    import numpy
    import pandas
    import rdkit

    return {
        "nproc": subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip(),
        "memory_gib": f"{memory_kib / 2**20:.1f}",
        "cpu": cpu,
        "python": platform.python_version(),
        "pandas": pandas.__version__,
        "numpy": numpy.__version__,
        "rdkit": rdkit.__version__,
        "date": time.strftime("%Y-%m-%d"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2_000_000, 20_000_000])
    parser.add_argument("--repeats", type=int, default=3, help="runs per task; median is kept")
    parser.add_argument(
        "--scaffold", action="store_true", help="also time the scaffold strategy on the first size"
    )
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument("--measure", nargs=2, metavar=("TASK", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.measure:
        print(json.dumps(measure(args.measure[0], Path(args.measure[1]))))
        return

    WORK.mkdir(parents=True, exist_ok=True)
    results = {"machine": machine(), "command": " ".join(["python", *sys.argv]), "runs": []}
    try:
        for index, rows in enumerate(args.sizes):
            path = WORK / f"egfr_{rows}.csv"
            build_file(rows, path)
            tasks = ["read", "split_hash"]
            if args.scaffold and index == 0:
                tasks.append("split_scaffold")
            for task in tasks:
                samples = [run_fresh(task, path) for _ in range(args.repeats)]
                seconds = statistics.median(sample["seconds"] for sample in samples)
                entry = {
                    "rows": rows,
                    "file_mib": round(path.stat().st_size / 2**20, 1),
                    "task": task,
                    "seconds": round(seconds, 2),
                    "all_seconds": [round(sample["seconds"], 2) for sample in samples],
                    "rows_per_second": round(rows / seconds),
                    "max_rss_mib": round(max(sample["max_rss_mib"] for sample in samples), 1),
                    "worker_max_rss_mib": round(
                        max(sample["worker_max_rss_mib"] for sample in samples), 1
                    ),
                }
                results["runs"].append(entry)
                print(json.dumps(entry), flush=True)
            if not args.keep:
                path.unlink()
    finally:
        if not args.keep:
            shutil.rmtree(WORK, ignore_errors=True)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
