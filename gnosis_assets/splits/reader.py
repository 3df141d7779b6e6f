"""Streaming reader for delimited text tables that keeps every cell's bytes as read.

Rows are handled as bytes. Most lines contain no quote character and are split with
`bytes.split`, which is what makes the reader fast. Lines with quotes, carriage returns or
(in TSV input) commas go through the `csv` module. The reader decodes them as Latin-1 because
that maps each byte to one character and back, so cells of any ASCII-compatible encoding,
UTF-8 included, keep their exact bytes.

Every record is re-serialized as RFC 4180 CSV with a comma delimiter, LF line endings and
minimal quoting. The rule is written out in `format_row` instead of taken from `csv.writer`,
because `csv.writer` quoting of carriage returns differs between Python versions.
"""

import csv
import gzip
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from gnosis_assets.splits.errors import SplitError

GZIP_MAGIC = b"\x1f\x8b"
BUFFER_BYTES = 1 << 20
_NEEDS_QUOTES = (",", '"', "\r", "\n")
_TAB_SUFFIXES = (".tsv", ".tab", ".txt")


@dataclass(frozen=True)
class Batch:
    """Consecutive records: canonical output lines, key cells and starting line numbers."""

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
    rows: int
    blank_lines: int


class _HashingRaw(io.RawIOBase):
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
        while chunk := self._file.read(BUFFER_BYTES):
            self.sha256.update(chunk)
            self.size += len(chunk)

    def close(self) -> None:
        self._file.close()
        super().close()


def format_row(cells: list[str]) -> bytes:
    """Serialize Latin-1-decoded cells as one canonical CSV line ending in LF.

    A cell is quoted only if it contains a comma, a double quote, CR or LF. A row made of one
    empty cell is written as `""` so that it does not read back as a blank line.
    """
    if cells == [""]:
        return b'""\n'
    parts = []
    for cell in cells:
        if any(char in cell for char in _NEEDS_QUOTES):
            cell = '"' + cell.replace('"', '""') + '"'
        parts.append(cell)
    return (",".join(parts) + "\n").encode("latin-1")


def detect_delimiter(name: str, header: bytes) -> bytes:
    """Return tab or comma: from the header when it contains only one of them, else the name."""
    has_tab = b"\t" in header
    has_comma = b"," in header
    if has_tab != has_comma:
        return b"\t" if has_tab else b","
    base = name.lower().removesuffix(".gz")
    return b"\t" if base.endswith(_TAB_SUFFIXES) else b","


class TableReader:
    """Context manager that reads a CSV or TSV file, optionally gzip-compressed, in batches."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._raw = _HashingRaw(path)
        buffered = io.BufferedReader(self._raw, BUFFER_BYTES)
        self.compression = "gzip" if buffered.peek(2)[:2] == GZIP_MAGIC else "none"
        self._buffered = buffered
        self._stream: BinaryIO = buffered
        if self.compression == "gzip":
            self._stream = io.BufferedReader(
                gzip.GzipFile(fileobj=buffered, mode="rb"),  # type: ignore[arg-type]
                BUFFER_BYTES,
            )
        elif path.name.lower().endswith(".gz"):
            self.close()
            raise SplitError(f"{path}: the name ends in .gz but the file is not gzip data")

        self.rows = 0
        self.blank_lines = 0
        self._line_number = 1
        self._finished = False
        try:
            self._read_header()
        except BaseException:
            self.close()
            raise

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
        self._stream.close()
        self._buffered.close()
        self._raw.close()

    def _read_header(self) -> None:
        first = self._next_line()
        if first is None or not first.rstrip(b"\r\n"):
            raise SplitError(f"{self.path}: the file is empty or its first line is blank")
        if b"\r" in first.rstrip(b"\r\n"):
            raise SplitError(
                f"{self.path}: the header contains a carriage return that does not end a line; "
                "convert CR-only line endings to LF"
            )
        self.delimiter = detect_delimiter(self.path.name, first)
        cells = self._parse_quoted(first, 1)
        self.header_line = format_row(cells)
        names = [cell.encode("latin-1").decode("utf-8", errors="replace") for cell in cells]
        names[0] = names[0].removeprefix("\ufeff")
        self.columns = tuple(names)

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
        """Return the input facts; valid after `batches` has been read to the end."""
        if not self._finished:
            raise RuntimeError("summary() needs the whole file to be read first")
        return InputSummary(
            sha256=self._raw.sha256.hexdigest(),
            size_bytes=self._raw.size,
            compression=self.compression,
            delimiter=self.delimiter.decode("ascii"),
            columns=self.columns,
            rows=self.rows,
            blank_lines=self.blank_lines,
        )

    def _next_line(self) -> bytes | None:
        try:
            return next(self._stream, None)  # type: ignore[call-overload]
        except (OSError, EOFError) as error:
            raise SplitError(f"{self.path}: could not decompress the file: {error}") from error

    def batches(self, key_index: int, batch_rows: int) -> Iterator[Batch]:
        """Yield the data records in input order, at most `batch_rows` per batch.

        Blank lines are skipped and counted, unless the table has one column: then a blank
        line is a record with an empty key. A record with a different number of cells than
        the header raises SplitError.
        """
        delimiter = self.delimiter
        is_tab = delimiter == b"\t"
        expected_delimiters = len(self.columns) - 1
        split_limit = key_index + 1
        lines: list[bytes] = []
        keys: list[bytes] = []
        numbers: list[int] = []
        line_number = self._line_number

        while (raw := self._next_line()) is not None:
            line_number += 1
            body = raw.rstrip(b"\r\n")
            if not body and expected_delimiters:
                self.blank_lines += 1
                continue

            if b'"' in body or b"\r" in body or (is_tab and b"," in body):
                start = line_number
                cells = self._parse_quoted(raw, start)
                line_number = self._line_number
                self._check_width(len(cells), start)
                lines.append(format_row(cells))
                keys.append(cells[key_index].encode("latin-1"))
                numbers.append(start)
            else:
                if body.count(delimiter) != expected_delimiters:
                    self._check_width(body.count(delimiter) + 1, line_number)
                keys.append(body.split(delimiter, split_limit)[key_index])
                if is_tab:
                    body = body.replace(b"\t", b",")
                lines.append(body + b"\n" if body else b'""\n')
                numbers.append(line_number)

            if len(lines) >= batch_rows:
                self.rows += len(lines)
                yield Batch(lines, keys, numbers)
                lines, keys, numbers = [], [], []

        self.rows += len(lines)
        if lines:
            yield Batch(lines, keys, numbers)
        self._finished = True
        self._raw.drain()

    def _check_width(self, width: int, line_number: int) -> None:
        if width != len(self.columns):
            raise SplitError(
                f"{self.path}: line {line_number} has {width} cells but the header has "
                f"{len(self.columns)}; fix the row or its quoting"
            )

    def _parse_quoted(self, first: bytes, line_number: int) -> list[str]:
        """Parse one record that starts with line `first` and may continue on later lines."""
        self._line_number = line_number

        def lines() -> Iterator[str]:
            yield first.decode("latin-1")
            while (raw := self._next_line()) is not None:
                self._line_number += 1
                yield raw.decode("latin-1")

        reader = csv.reader(lines(), delimiter=self.delimiter.decode("ascii"), strict=True)
        try:
            return next(reader)
        except csv.Error as error:
            raise SplitError(
                f"{self.path}: the record starting on line {line_number} is not valid CSV "
                f"({error}); check its quotes"
            ) from error
