"""Background reading of the input in line-aligned chunks, with the file's SHA256.

A thread reads, decompresses and hashes while the main thread assigns rows. `hashlib` and
`zlib` release the GIL on large buffers, so on two or more cores the work overlaps.
"""

import hashlib
import io
import queue
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

CHUNK_BYTES = 8 << 20
_QUEUE_DEPTH = 4  # chunks in flight, so at most about 5 * CHUNK_BYTES of input is buffered
_END = object()


class HashingRaw(io.RawIOBase):
    """Raw file wrapper that computes the SHA256 and size of the bytes read through it."""

    def __init__(self, path: Path) -> None:
        self._file = path.open("rb", buffering=0)
        self.sha256 = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        count = self._file.readinto(buffer)
        if count:
            self.sha256.update(memoryview(buffer)[:count])
            self.size += count
        return count or 0

    def drain(self) -> None:
        """Read the rest of the file so that the SHA256 covers all of it."""
        while chunk := self._file.read(1 << 20):
            self.sha256.update(chunk)
            self.size += len(chunk)

    def close(self) -> None:
        self._file.close()
        super().close()


class ChunkPrefetcher:
    """Iterator over chunks of a stream that end at a line feed, except the file's last one."""

    def __init__(self, stream: BinaryIO, raw: HashingRaw) -> None:
        self._stream = stream
        self._raw = raw
        self._queue: queue.Queue[object] = queue.Queue(maxsize=_QUEUE_DEPTH)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="split-prefetch", daemon=True)
        self._thread.start()

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        leftover = b""
        try:
            while data := self._stream.read(CHUNK_BYTES):
                data = leftover + data
                cut = data.rfind(b"\n")
                if cut < 0:
                    leftover = data
                    continue
                leftover = data[cut + 1 :]
                if not self._put(data[:cut]):
                    return
            if leftover and not self._put(leftover):
                return
            self._raw.drain()
            self._put(_END)
        except BaseException as error:  # handed to the consumer, which re-raises it
            self._put(error)

    def __iter__(self) -> Iterator[bytes]:
        while True:
            item = self._queue.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
