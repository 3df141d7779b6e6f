"""Streaming writer of the three split files, with SHA256 and size computed while writing.

A background thread writes and hashes, because file writes and `hashlib` on large buffers
release the GIL and so overlap with row assignment on the main thread.
"""

import hashlib
import os
import queue
import threading
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from gnosis_assets.splits.config import SPLIT_NAMES

SPLIT_SUFFIX = ".csv"
_PARTIAL_SUFFIX = ".partial"
_QUEUE_DEPTH = 8  # pending writes; each is one split's share of a batch


@dataclass(frozen=True)
class WrittenFile:
    """One finished split file."""

    file: str
    rows: int
    sha256: str
    size_bytes: int


class SplitWriter:
    """Context manager that writes train/val/test to partial files and renames them at commit.

    Leaving the context without `commit()` (for example on an exception) deletes the partial
    files, so a failed run never leaves split files that look complete.
    """

    def __init__(self, out_dir: Path, header_line: bytes) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        self._finals = [out_dir / f"{split}{SPLIT_SUFFIX}" for split in SPLIT_NAMES]
        self._partials = [path.with_name(path.name + _PARTIAL_SUFFIX) for path in self._finals]
        self._handles = [path.open("wb") for path in self._partials]
        self._hashers = [hashlib.sha256() for _ in SPLIT_NAMES]
        self._sizes = [0, 0, 0]
        self._rows = [0, 0, 0]
        self._committed = False
        self._queue: queue.Queue[tuple[int, bytes] | None] = queue.Queue(maxsize=_QUEUE_DEPTH)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="split-writer", daemon=True)
        self._thread.start()
        for index in range(len(SPLIT_NAMES)):
            self._write(index, header_line + b"\n")

    def __enter__(self) -> "SplitWriter":
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if not self._committed:
            self._stop_thread()
            self._close_handles()
            for path in self._partials:
                path.unlink(missing_ok=True)

    @property
    def rows(self) -> list[int]:
        """Rows written so far to train, val and test."""
        return list(self._rows)

    def write(self, routed: tuple[list[bytes], list[bytes], list[bytes]]) -> None:
        """Append each split's lines, given without their LF."""
        for index, lines in enumerate(routed):
            if lines:
                self._rows[index] += len(lines)
                lines.append(b"")  # so that the join ends with LF
                self._write(index, b"\n".join(lines))

    def write_joined(self, data: tuple[bytes, bytes, bytes], rows: tuple[int, int, int]) -> None:
        """Append each split's lines, given as one LF-terminated bytes object with `rows` lines."""
        for index, (split_data, split_rows) in enumerate(zip(data, rows, strict=True)):
            if split_rows:
                self._rows[index] += split_rows
                self._write(index, split_data)

    def commit(self) -> list[WrittenFile]:
        """Flush, fsync and rename the partial files to train.csv, val.csv and test.csv."""
        self._stop_thread()
        if self._error is not None:
            raise self._error
        for handle in self._handles:
            handle.flush()
            os.fsync(handle.fileno())
        self._close_handles()
        for partial, final in zip(self._partials, self._finals, strict=True):
            partial.replace(final)
        self._committed = True
        return [
            WrittenFile(final.name, rows, hasher.hexdigest(), size)
            for final, rows, hasher, size in zip(
                self._finals, self._rows, self._hashers, self._sizes, strict=True
            )
        ]

    def _write(self, index: int, data: bytes) -> None:
        if self._error is not None:
            raise self._error
        self._sizes[index] += len(data)
        self._queue.put((index, data))

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            if self._error is not None:
                continue  # keep taking items, so that put() in the main thread cannot block
            index, data = item
            try:
                self._handles[index].write(data)
                self._hashers[index].update(data)
            except OSError as error:
                self._error = error

    def _stop_thread(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    def _close_handles(self) -> None:
        for handle in self._handles:
            handle.close()
