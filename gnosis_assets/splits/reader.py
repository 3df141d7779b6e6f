"""Streaming reader for delimited text tables that keeps every cell's bytes as read.

The input is read in chunks of whole lines. A chunk without double quotes and stray carriage
returns (and, in TSV input, without commas) becomes a `FastBlock`: its lines split on LF, with
tabs turned into commas, which is already canonical CSV. Any other chunk is parsed line by line,
and records with quotes go through the `csv` module. That path decodes bytes as Latin-1, which
maps each byte to one character and back, so cells of any ASCII-compatible encoding, UTF-8
included, keep their exact bytes. Records are re-serialized by `format_row`.
"""

import csv
import gzip
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from gnosis_assets.splits.csvformat import detect_delimiter, format_row
from gnosis_assets.splits.errors import SplitError
from gnosis_assets.splits.prefetch import ChunkPrefetcher, HashingRaw

GZIP_MAGIC = b"\x1f\x8b"
_BUFFER_BYTES = 1 << 20


@dataclass(frozen=True)
class FastBlock:
    """Consecutive lines in canonical comma form, without quotes or CR, separated by LF.

    `data` has no final LF. The cell counts are not checked yet, because
    `TableReader.to_batch` and the hash routing check them.
    """

    data: bytes
    first_line: int

    @property
    def lines(self) -> list[bytes]:
        """Return the lines without their LF, splitting `data` again on every call."""
        return self.data.split(b"\n")


@dataclass(frozen=True)
class Batch:
    """Parsed records: canonical lines without LF, key cells and starting line numbers."""

    lines: list[bytes]
    keys: list[bytes]
    line_numbers: list[int]


@dataclass(frozen=True)
class InputSummary:
    """Facts about the input file that the manifest records."""

    sha256: str
    size_bytes: int
    compression: str
    delimiter: str
    columns: tuple[str, ...]
    blank_lines: int


class TableReader:
    """Context manager that reads a CSV or TSV file, optionally gzip-compressed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._raw = HashingRaw(path)
        self._buffered = io.BufferedReader(self._raw, _BUFFER_BYTES)
        self._stream: BinaryIO = self._buffered
        self._prefetcher: ChunkPrefetcher | None = None
        try:
            self.compression = "gzip" if self._buffered.peek(2)[:2] == GZIP_MAGIC else "none"
            if self.compression == "gzip":
                decompressed = gzip.GzipFile(fileobj=self._buffered, mode="rb")
                self._stream = io.BufferedReader(decompressed, _BUFFER_BYTES)
            elif path.name.lower().endswith(".gz"):
                raise SplitError(f"{path}: the name ends in .gz but the file is not gzip data")
            self.blank_lines = 0
            self._line_number = 0  # last line consumed; line 1 is the header
            self._read_header()
            self._prefetcher = ChunkPrefetcher(self._stream, self._raw)
            self._chunks = iter(self._prefetcher)
        except BaseException:
            self.close()
            raise
        self._finished = False

    def __enter__(self) -> "TableReader":
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._prefetcher is not None:
            self._prefetcher.close()
        self._stream.close()
        self._buffered.close()
        self._raw.close()

    def column_index(self, name: str) -> int:
        """Return the position of a column, raising SplitError that lists the columns."""
        matches = [index for index, column in enumerate(self.columns) if column == name]
        if len(matches) > 1:
            raise SplitError(
                f"{self.path}: column '{name}' appears {len(matches)} times in the header "
                f"(positions {matches}); rename the duplicates so the key column is unambiguous"
            )
        if not matches:
            raise SplitError(
                f"{self.path}: key column '{name}' not found; available columns are "
                f"{list(self.columns)}. Set key_column to one of them."
            )
        return matches[0]

    def summary(self) -> InputSummary:
        """Return the input facts; valid after `blocks` has been read to the end."""
        if not self._finished:
            raise RuntimeError("summary() needs the whole file to be read first")
        return InputSummary(
            sha256=self._raw.sha256.hexdigest(),
            size_bytes=self._raw.size,
            compression=self.compression,
            delimiter=self.delimiter.decode("ascii"),
            columns=self.columns,
            blank_lines=self.blank_lines,
        )

    def blocks(self, key_index: int) -> Iterator[FastBlock | Batch]:
        """Yield the data records in input order, as fast blocks or parsed batches."""
        is_tab = self.delimiter == b"\t"
        try:
            for chunk in self._chunks:
                if b'"' in chunk or (is_tab and b"," in chunk):
                    yield self._parse_chunk(chunk, key_index)
                    continue
                if b"\r" in chunk:
                    chunk = chunk.replace(b"\r\n", b"\n")
                    if b"\r" in chunk:
                        yield self._parse_chunk(chunk, key_index)
                        continue
                if is_tab:
                    chunk = chunk.replace(b"\t", b",")
                first = self._line_number + 1
                self._line_number += chunk.count(b"\n") + 1
                yield FastBlock(chunk, first)
        except (OSError, EOFError, zlib.error) as error:
            raise SplitError(f"{self.path}: could not read the file: {error}") from error
        self._finished = True

    def batches(self, key_index: int) -> Iterator[Batch]:
        """Yield the data records in input order as parsed batches."""
        for block in self.blocks(key_index):
            if isinstance(block, FastBlock):
                yield self.to_batch(block.lines, block.first_line, key_index)
            else:
                yield block

    def to_batch(self, lines: list[bytes], first_line: int, key_index: int) -> Batch:
        """Check cell counts, skip blank lines and extract keys of fast-block lines.

        `first_line` is the line number of `lines[0]`.
        """
        expected = len(self.columns) - 1
        split_limit = key_index + 1
        checked = []
        keys = []
        numbers = []
        for line_number, line in enumerate(lines, start=first_line):
            if not line and expected:
                self.blank_lines += 1
                continue
            commas = line.count(b",")
            if commas != expected:
                self._raise_width(commas + 1, line_number)
            checked.append(line or b'""')
            keys.append(line.split(b",", split_limit)[key_index])
            numbers.append(line_number)
        return Batch(checked, keys, numbers)

    def _read_header(self) -> None:
        try:
            first = self._stream.readline()
        except (OSError, EOFError) as error:
            raise SplitError(f"{self.path}: could not read the file: {error}") from error
        body = first.rstrip(b"\r\n")
        if not body:
            raise SplitError(f"{self.path}: the file is empty or its first line is blank")
        if b"\r" in body:
            raise SplitError(
                f"{self.path}: the header contains a carriage return that does not end a line; "
                "convert CR-only line endings to LF"
            )
        self.delimiter = detect_delimiter(self.path.name, first)

        def header_lines() -> Iterator[str]:
            # A quoted header cell may contain line breaks, so the record can span lines.
            self._line_number = 1
            yield first.decode("latin-1")
            while line := self._stream.readline():
                self._line_number += 1
                yield line.decode("latin-1")

        cells = self._parse_record(header_lines(), 1)
        self.header_line = format_row(cells)
        names = [cell.encode("latin-1").decode("utf-8", errors="replace") for cell in cells]
        names[0] = names[0].removeprefix("\ufeff")
        self.columns = tuple(names)

    def _parse_chunk(self, chunk: bytes, key_index: int) -> Batch:
        """Parse a chunk line by line; a quoted record may continue into later chunks."""
        delimiter = self.delimiter
        expected = len(self.columns) - 1
        lines = chunk.split(b"\n")
        position = 0
        out_lines, keys, numbers = [], [], []

        def continuation() -> Iterator[str]:
            # Feed the csv module the rest of this chunk and then the following chunks.
            nonlocal position
            while True:
                if position == len(lines):
                    following = next(self._chunks, None)
                    if following is None:
                        return
                    lines.extend(following.split(b"\n"))
                self._line_number += 1
                position += 1
                yield lines[position - 1].decode("latin-1") + "\n"

        while position < len(lines):
            start = self._line_number + 1
            body = lines[position].removesuffix(b"\r")
            if not body and expected:
                self._line_number += 1
                position += 1
                self.blank_lines += 1
                continue

            if b'"' in body or b"\r" in body or (delimiter == b"\t" and b"," in body):
                cells = self._parse_record(continuation(), start)
                self._check_width(len(cells), start)
                out_lines.append(format_row(cells))
                keys.append(cells[key_index].encode("latin-1"))
            else:
                self._line_number += 1
                position += 1
                width = body.count(delimiter) + 1
                self._check_width(width, start)
                out_lines.append(body.replace(b"\t", b",") if body else b'""')
                keys.append(body.split(delimiter, key_index + 1)[key_index])
            numbers.append(start)
        return Batch(out_lines, keys, numbers)

    def _parse_record(self, source: Iterator[str], line_number: int) -> list[str]:
        reader = csv.reader(source, delimiter=self.delimiter.decode("ascii"), strict=True)
        try:
            return next(reader)
        except (csv.Error, StopIteration) as error:
            raise SplitError(
                f"{self.path}: the record starting on line {line_number} is not valid CSV "
                f"({error or 'unexpected end of file'}); check its quotes"
            ) from error

    def _check_width(self, width: int, line_number: int) -> None:
        if width != len(self.columns):
            self._raise_width(width, line_number)

    def _raise_width(self, width: int, line_number: int) -> None:
        raise SplitError(
            f"{self.path}: line {line_number} has {width} cells but the header has "
            f"{len(self.columns)}; fix the row or its quoting"
        )
