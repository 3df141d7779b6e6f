"""Feed one stream of chunks to a reader that runs in a background thread.

The sync reads each source file once. The chunks go to the hasher and the uploader in the
calling thread, and to a profiler that wants a file-like object (gzip, text decoding, csv). A
bounded queue between them keeps memory flat: the producer blocks when the reader falls behind.
"""

import io
import queue
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

_END = b""


class _QueueReader(io.RawIOBase):
    def __init__(self, chunks: "queue.Queue[bytes]") -> None:
        self._chunks = chunks
        self._pending = memoryview(b"")
        self._finished = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._pending and not self._finished:
            chunk = self._chunks.get()
            if chunk is _END:
                self._finished = True
            else:
                self._pending = memoryview(chunk)
        count = min(len(buffer), len(self._pending))
        buffer[:count] = self._pending[:count]
        self._pending = self._pending[count:]
        return count


class BackgroundReader(Generic[T]):
    """Run `consume(stream)` in a thread and feed it the chunks given to `feed`.

    If `consume` returns or raises early, later chunks are dropped, so the producer never blocks
    on a reader that stopped.
    """

    def __init__(self, consume: Callable[[io.BufferedReader], T], max_chunks: int = 8) -> None:
        self._chunks: queue.Queue[bytes] = queue.Queue(maxsize=max_chunks)
        self._result: T | None = None
        self._error: BaseException | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(consume,), daemon=True)
        self._thread.start()

    def _run(self, consume: Callable[[io.BufferedReader], T]) -> None:
        try:
            self._result = consume(io.BufferedReader(_QueueReader(self._chunks)))
        except BaseException as error:  # re-raised in the producer's thread by finish()
            self._error = error
        finally:
            self._done.set()
            self._drain()

    def _drain(self) -> None:
        while True:
            try:
                self._chunks.get_nowait()
            except queue.Empty:
                return

    def feed(self, chunk: bytes) -> None:
        """Pass one non-empty chunk to the reader, waiting while its queue is full."""
        while not self._done.is_set():
            try:
                self._chunks.put(chunk, timeout=0.1)
                return
            except queue.Full:
                continue

    def finish(self) -> T:
        """Signal the end of the stream, wait for the reader and return its result."""
        while not self._done.is_set():
            try:
                self._chunks.put(_END, timeout=0.1)
                break
            except queue.Full:
                continue
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._result  # type: ignore[return-value]
