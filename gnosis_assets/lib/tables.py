"""Profile a curated file from its byte stream without altering it.

The profile records what a reader needs to load the file correctly: compression, encoding,
line endings, delimiter, header and row count. A file that does not parse raises
`ParseError` with the file name and line, so that its dataset version is not published.
"""

import codecs
import csv
import gzip
import io
import json
import zlib
from dataclasses import asdict, dataclass, field
from typing import Any

GZIP_MAGIC = b"\x1f\x8b"
UTF8_BOM = codecs.BOM_UTF8
JSON_PARSE_LIMIT = 64 * 1024 * 1024  # bytes; larger JSON files are hashed but not parsed

CONTENT_TYPES = {
    ".csv": "text/csv",
    ".tsv": "text/tab-separated-values",
    ".txt": "text/plain",
    ".json": "application/json",
    ".yaml": "application/yaml",
    ".yml": "application/yaml",
    ".parquet": "application/vnd.apache.parquet",
}

# Field sizes in real exports (SMILES of large peptides, long free-text assay descriptions)
# exceed the csv module's 128 KiB default.
csv.field_size_limit(16 * 1024 * 1024)


class ParseError(ValueError):
    """A curated file that cannot be read as the table its name promises."""

    def __init__(self, name: str, line: int | None, problem: str) -> None:
        where = f"{name}, line {line}" if line is not None else name
        super().__init__(
            f"{where}: {problem}. Fix the file on the volume; this dataset version is not "
            "published until it parses."
        )
        self.file_name = name
        self.line = line
        self.problem = problem


@dataclass
class FileProfile:
    """Facts a reader needs to load a file as it is."""

    content_type: str
    format: str  # "csv", "tsv", "lines", "json" or "binary"
    compression: str | None = None
    encoding: str | None = None
    line_ending: str | None = None  # "LF", "CRLF" or None for files without line breaks
    final_newline: bool | None = None
    delimiter: str | None = None
    header: list[str] | None = None
    rows: int | None = None  # data rows, header excluded
    columns: int | None = None
    duplicate_columns: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def table_suffix(name: str) -> tuple[str, str | None]:
    """Return the suffix that names the format (`.csv`) and the compression, if any."""
    lower = name.lower()
    compression = None
    if lower.endswith(".gz"):
        compression = "gzip"
        lower = lower[: -len(".gz")]
    dot = lower.rfind(".")
    return (lower[dot:] if dot >= 0 else ""), compression


def content_type_for(name: str) -> str:
    suffix, compression = table_suffix(name)
    if compression == "gzip":
        return "application/gzip"
    return CONTENT_TYPES.get(suffix, "application/octet-stream")


def profile_stream(name: str, stream: io.BufferedReader) -> FileProfile:
    """Read a whole byte stream once and profile it according to the file name."""
    suffix, compression = table_suffix(name)
    head = stream.peek(2)[:2]
    if compression == "gzip" and head != GZIP_MAGIC:
        raise ParseError(name, None, "the name ends in .gz but the content is not gzip")
    if compression is None and head == GZIP_MAGIC:
        compression = "gzip"

    raw: io.BufferedIOBase = stream
    if compression == "gzip":
        raw = gzip.GzipFile(fileobj=stream, mode="rb")

    profile = FileProfile(content_type=content_type_for(name), format="binary")
    profile.compression = compression
    try:
        if suffix in (".csv", ".tsv"):
            _profile_delimited(name, raw, profile, "\t" if suffix == ".tsv" else ",")
        elif suffix == ".txt":
            _profile_lines(name, raw, profile)
        elif suffix == ".json":
            _profile_json(name, raw, profile)
        else:
            _drain(raw)
    except (EOFError, zlib.error, gzip.BadGzipFile) as error:
        raise ParseError(
            name, None, f"the gzip stream is corrupt or truncated ({error})"
        ) from error
    return profile


class _LineEndingTracker(io.TextIOBase):
    """Decode UTF-8 text and record line endings, wrapped around the raw byte stream."""

    def __init__(self, name: str, raw: io.BufferedIOBase) -> None:
        self._name = name
        self._raw = raw
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self._first = True
        self._previous_char = ""
        self.encoding_name = "utf-8"
        self.lf = 0
        self.crlf = 0
        self.last_char = ""
        self.lines_seen = 1

    def read_text(self, size: int = 1024 * 1024) -> str:
        data = self._raw.read(size)
        if self._first:
            self._first = False
            if data.startswith(UTF8_BOM):
                self.encoding_name = "utf-8-sig"
                data = data[len(UTF8_BOM) :]
        try:
            text = self._decoder.decode(data, final=not data)
        except UnicodeDecodeError as error:
            line = self.lines_seen + data[: error.start].count(b"\n")
            raise ParseError(
                self._name,
                line,
                f"invalid UTF-8 byte {error.object[error.start : error.start + 1]!r}",
            ) from error
        self._count(text)
        return text

    def _count(self, text: str) -> None:
        if not text:
            return
        newlines = text.count("\n")
        crlf = text.count("\r\n") + (1 if self._previous_char == "\r" and text[0] == "\n" else 0)
        self.crlf += crlf
        self.lf += newlines - crlf
        self.lines_seen += newlines
        self._previous_char = text[-1]
        self.last_char = text[-1]

    def iter_lines(self):
        """Yield lines split on LF only, with their endings, as csv.reader expects.

        str.splitlines would also split on form feeds and Unicode separators inside fields.
        """
        pending = ""
        while text := self.read_text():
            parts = (pending + text).split("\n")
            pending = parts.pop()
            for part in parts:
                yield part + "\n"
        if pending:
            yield pending

    def fill(self, profile: FileProfile) -> None:
        profile.encoding = self.encoding_name
        if self.crlf and not self.lf:
            profile.line_ending = "CRLF"
        elif self.lf and not self.crlf:
            profile.line_ending = "LF"
        elif self.lf or self.crlf:
            profile.line_ending = "mixed"
        profile.final_newline = self.last_char in ("\n", "\r") if self.last_char else None


def _profile_delimited(
    name: str, raw: io.BufferedIOBase, profile: FileProfile, delimiter: str
) -> None:
    text = _LineEndingTracker(name, raw)
    reader = csv.reader(text.iter_lines(), delimiter=delimiter, strict=True)
    profile.format = "tsv" if delimiter == "\t" else "csv"
    profile.delimiter = delimiter
    try:
        header = next(reader, None)
        if header is None:
            raise ParseError(name, 1, "the file is empty, so it has no header row")
        width = len(header)
        rows = 0
        for row in reader:
            if not row:
                continue  # csv.reader yields [] for a blank line; a blank line is not a row
            if len(row) != width:
                raise ParseError(
                    name,
                    reader.line_num,
                    f"expected {width} fields as in the header, found {len(row)}",
                )
            rows += 1
    except csv.Error as error:
        raise ParseError(name, reader.line_num, f"malformed {profile.format} ({error})") from error
    text.fill(profile)
    profile.header = header
    profile.columns = width
    profile.rows = rows
    profile.duplicate_columns = _duplicates(header)


def _profile_lines(name: str, raw: io.BufferedIOBase, profile: FileProfile) -> None:
    text = _LineEndingTracker(name, raw)
    lines = [line.rstrip("\r\n") for line in text.iter_lines()]
    text.fill(profile)
    profile.format = "lines"
    profile.rows = len(lines)
    profile.duplicate_columns = _duplicates(lines) if len(lines) <= 100_000 else []


def _profile_json(name: str, raw: io.BufferedIOBase, profile: FileProfile) -> None:
    data = raw.read(JSON_PARSE_LIMIT + 1)
    _drain(raw)
    profile.format = "json"
    profile.encoding = "utf-8-sig" if data.startswith(UTF8_BOM) else "utf-8"
    profile.final_newline = data.endswith(b"\n") if data else None
    if len(data) > JSON_PARSE_LIMIT:
        return
    try:
        document = json.loads(data.decode(profile.encoding))
    except UnicodeDecodeError as error:
        raise ParseError(name, None, f"invalid UTF-8 at byte {error.start}") from error
    except json.JSONDecodeError as error:
        raise ParseError(name, error.lineno, f"invalid JSON ({error.msg})") from error
    if isinstance(document, dict):
        profile.header = sorted(document)
        profile.columns = len(document)


def _drain(raw: io.BufferedIOBase) -> None:
    while raw.read(1024 * 1024):
        pass


def _duplicates(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    for column in names:
        seen[column] = seen.get(column, 0) + 1
    return sorted(column for column, count in seen.items() if count > 1)
