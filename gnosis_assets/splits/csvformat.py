"""Canonical CSV serialization and delimiter detection.

Output rows are RFC 4180 CSV with a comma delimiter and minimal quoting. The quoting rule is
written out here instead of taken from `csv.writer`, because `csv.writer` quoting of carriage
returns differs between Python versions.
"""

_NEEDS_QUOTES = (",", '"', "\r", "\n")
_TAB_SUFFIXES = (".tsv", ".tab", ".txt")


def format_row(cells: list[str]) -> bytes:
    """Serialize Latin-1-decoded cells as one canonical CSV line without its LF.

    A cell is quoted only if it contains a comma, a double quote, CR or LF. A row made of one
    empty cell is written as `""` so that it does not read back as a blank line.
    """
    if cells == [""]:
        return b'""'
    parts = []
    for cell in cells:
        if any(char in cell for char in _NEEDS_QUOTES):
            cell = '"' + cell.replace('"', '""') + '"'
        parts.append(cell)
    return ",".join(parts).encode("latin-1")


def detect_delimiter(name: str, header: bytes) -> bytes:
    """Return tab or comma: from the header when it contains only one of them, else the name."""
    has_tab = b"\t" in header
    has_comma = b"," in header
    if has_tab != has_comma:
        return b"\t" if has_tab else b","
    base = name.lower().removesuffix(".gz")
    return b"\t" if base.endswith(_TAB_SUFFIXES) else b","
