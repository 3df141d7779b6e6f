"""Hash-strategy routing of fast blocks in worker processes, with the output in input order.

The per-row work of the hash strategy (cell count check, key extraction, keyed BLAKE2b,
comparison) runs in Python and holds the GIL, so threads cannot share it. For inputs of at
least `POOL_MIN_BYTES`, `route_with_workers` sends the fast blocks (about 8 MiB of whole lines
without quotes or CR each) to worker processes in turn. A worker returns each split's lines as
one LF-terminated bytes object, with the row counts and the concatenated digests.

The parent keeps the blocks in flight in a FIFO queue of at most `IN_FLIGHT_PER_WORKER` blocks
per worker and yields the results in that order. Each worker processes its requests in order, so
the output bytes are those of in-process routing, and the input held in memory stays bounded.
Parsed batches (records with quotes, CR or TSV commas) and fast blocks that a worker rejects
(wrong cell count, blank line, empty key) are routed in the parent when their turn comes.
Errors, tallies and line numbers therefore come out as in the single-process path.

The workers are plain Python subprocesses running `gnosis_assets.splits.worker.main`, which
talk over their stdin and stdout. `multiprocessing` would re-run the caller's main script in
each spawned child, so a script without an `if __name__ == "__main__"` guard would fail only on
large files. Forking instead would copy a process that already runs the reader and writer
threads. Smaller inputs stay in-process. On the 2M-row benchmark (207 MiB), each worker start
cost about 0.05 CPU seconds, and the pipes and page faults added about 0.5 CPU seconds. The
32 MiB threshold is an estimate from those figures that keeps small files and tests in-process.
"""

import logging
import os
import queue
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Generator
from pathlib import Path

import gnosis_assets
from gnosis_assets.splits.errors import SplitError
from gnosis_assets.splits.reader import Batch, FastBlock, TableReader
from gnosis_assets.splits.strategies import HashAssigner, Tally, route_batch
from gnosis_assets.splits.worker import JoinedRoute, join_routed, read_response, write_request

logger = logging.getLogger(__name__)

# Input size on disk below which routing stays in-process.
POOL_MIN_BYTES = 32 << 20
# NOTE: the parent still reads, hashes and writes every byte, so more workers stop helping at
# some point. This cap is an estimate, because only 2 workers on 2 cores were measured.
MAX_WORKERS = 4
IN_FLIGHT_PER_WORKER = 2
_EXIT_TIMEOUT_SECONDS = 10
# glibc malloc settings for the workers, unless the environment sets them. Allocations up to
# 32 MiB come from the heap, and up to 256 MiB of freed heap is kept, so the buffers of one
# block are reused by the next instead of being unmapped and faulted in again. On the 2M-row
# benchmark this cut worker page faults by about 40%. Other C libraries ignore the variables.
_WORKER_MALLOC_ENV = {
    "MALLOC_MMAP_THRESHOLD_": str(32 << 20),
    "MALLOC_TRIM_THRESHOLD_": str(256 << 20),
}
# The package imports the worker module, so `python -m` would run it a second time as __main__.
_WORKER_COMMAND = "import sys; from gnosis_assets.splits.worker import main; main(sys.argv[1:])"


def worker_count(input_size: int) -> int:
    """Return the number of worker processes for an input of `input_size` bytes, 0 for none.

    Returns 0 for inputs below `POOL_MIN_BYTES` and when fewer than 2 CPUs are available.
    """
    if input_size < POOL_MIN_BYTES:
        return 0
    cpus = _available_cpus()
    return min(cpus, MAX_WORKERS) if cpus >= 2 else 0


def _available_cpus() -> int:
    # The affinity mask lists the CPUs this process may use. macOS has no sched_getaffinity.
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class _WorkerProcess:
    """One worker subprocess, with a thread that writes its requests.

    The thread lets the parent read one worker's response while another request to the same
    worker is still being written, so neither side blocks the other on a full pipe.
    """

    def __init__(self, settings: list[str]) -> None:
        package_root = str(Path(gnosis_assets.__file__).resolve().parents[1])
        path = os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))
        self._process = subprocess.Popen(
            [sys.executable, "-c", _WORKER_COMMAND, *settings],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**_WORKER_MALLOC_ENV, **os.environ, "PYTHONPATH": path},
        )
        self._requests: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._sender = threading.Thread(target=self._send, name="split-worker-send", daemon=True)
        self._sender.start()

    def submit(self, data: bytes) -> None:
        self._requests.put(data)

    def receive(self) -> JoinedRoute | None:
        """Return the response to the oldest unanswered request, None if the worker rejected it."""
        assert self._process.stdout is not None
        try:
            return read_response(self._process.stdout)
        except EOFError as error:
            code = self._process.wait()
            raise RuntimeError(
                f"split worker process {self._process.pid} exited with code {code} before "
                "returning a routed block. Its traceback, if any, is on stderr."
            ) from error

    def close(self, *, kill: bool) -> None:
        """Stop the worker after its last response, or at once if `kill` is set."""
        if kill:
            self._process.kill()
        self._requests.put(None)
        self._sender.join()
        assert self._process.stdout is not None
        self._process.stdout.close()
        try:
            code = self._process.wait(timeout=_EXIT_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self._process.kill()
            code = self._process.wait()
        if code and not kill:
            logger.warning("split worker process %s exited with code %s", self._process.pid, code)

    def _send(self) -> None:
        stdin = self._process.stdin
        assert stdin is not None
        try:
            while (data := self._requests.get()) is not None:
                write_request(stdin, data)
            stdin.close()
        except OSError as error:
            # The worker died or was killed, and receive() raises that in the parent.
            logger.debug("split worker process %s stopped reading: %s", self._process.pid, error)


def route_with_workers(
    table: TableReader,
    key_index: int,
    assigner: HashAssigner,
    tally: Tally,
    workers: int,
) -> Generator[JoinedRoute, None, None]:
    """Yield the hash routing of every block of `table` in input order, using `workers` processes.

    The parent routes parsed batches and rejected fast blocks itself, with `assigner`.
    """
    fractions = assigner.fractions
    settings = [str(assigner.seed), *(repr(value) for value in fractions)]
    settings += [str(key_index), str(len(table.columns))]
    logger.info("routing %s in %d worker processes", table.path, workers)
    processes: list[_WorkerProcess] = []

    # Each entry is a block and the worker it went to, or None if the parent routes it.
    pending: deque[tuple[FastBlock | Batch, _WorkerProcess | None]] = deque()

    def finish() -> JoinedRoute:
        block, process = pending.popleft()
        if process is not None:
            joined = process.receive()
            if joined is not None:
                return joined
        if isinstance(block, FastBlock):
            block = table.to_batch(block.lines, block.first_line, key_index)
        return join_routed(*route_batch(block, assigner, tally))

    finished = False
    try:
        for _ in range(workers):
            processes.append(_WorkerProcess(settings))
        blocks = table.blocks(key_index)
        submitted = 0
        while True:
            try:
                block = next(blocks, None)
            except SplitError:
                # Pending blocks come earlier in the input, so their errors take precedence.
                while pending:
                    yield finish()
                raise
            if block is None:
                break
            process = None
            if isinstance(block, FastBlock):
                process = processes[submitted % workers]
                process.submit(block.data)
                submitted += 1
            pending.append((block, process))
            if len(pending) >= workers * IN_FLIGHT_PER_WORKER:
                yield finish()
        while pending:
            yield finish()
        finished = True
    finally:
        for process in processes:
            process.close(kill=not finished)
