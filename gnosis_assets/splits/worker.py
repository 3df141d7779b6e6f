"""Worker process that routes fast blocks for the hash strategy, and its pipe protocol.

`gnosis_assets.splits.parallel` starts it as a Python subprocess that calls `main` with the
arguments SEED TRAIN VAL TEST KEY_INDEX COLUMNS. The worker reads requests from stdin and
writes one response per request to stdout, in request order, until stdin ends. A request is
an 8-byte little-endian length and the bytes of one fast block. A response is a header of 7
little-endian uint64 (rejected flag, rows per split, data bytes per split), then each split's
LF-terminated lines, then each split's 16-byte digests.
"""

import os
import struct
import sys
from dataclasses import dataclass
from typing import IO

from gnosis_assets.splits.strategies import HashAssigner, NeedsChecks, Routed, route_fast_block

_LENGTH = struct.Struct("<Q")
_HEADER = struct.Struct("<7Q")
_DIGEST_BYTES = 16


@dataclass(frozen=True)
class JoinedRoute:
    """One block's rows per split: LF-terminated lines, row counts and 16-byte key digests."""

    data: tuple[bytes, bytes, bytes]
    rows: tuple[int, int, int]
    digests: tuple[bytes, bytes, bytes]


def join_routed(routed: Routed, digests: Routed) -> JoinedRoute:
    """Join each split's lines, with an LF after every line, and its digests.

    Appends an empty line to each list of `routed`, so the caller must not reuse them.
    """
    rows = (len(routed[0]), len(routed[1]), len(routed[2]))
    for lines in routed:
        lines.append(b"")  # so that the join ends with LF
    data = (b"\n".join(routed[0]), b"\n".join(routed[1]), b"\n".join(routed[2]))
    joined_digests = (b"".join(digests[0]), b"".join(digests[1]), b"".join(digests[2]))
    return JoinedRoute(data, rows, joined_digests)


def route_block(
    data: bytes, key_index: int, columns: int, assigner: HashAssigner
) -> JoinedRoute | None:
    """Route the lines of one fast block, or return None if it needs the checked path."""
    try:
        routed, digests = route_fast_block(data.split(b"\n"), key_index, columns, assigner)
    except NeedsChecks:
        return None
    return join_routed(routed, digests)


def write_request(stream: IO[bytes], data: bytes) -> None:
    stream.write(_LENGTH.pack(len(data)))
    stream.write(data)
    stream.flush()


def write_response(stream: IO[bytes], joined: JoinedRoute | None) -> None:
    if joined is None:
        stream.write(_HEADER.pack(1, 0, 0, 0, 0, 0, 0))
    else:
        stream.write(_HEADER.pack(0, *joined.rows, *(len(part) for part in joined.data)))
        for part in (*joined.data, *joined.digests):
            stream.write(part)
    stream.flush()


def read_response(stream: IO[bytes]) -> JoinedRoute | None:
    """Read one response, raising EOFError if the worker closed its output early."""
    rejected, *sizes = _HEADER.unpack(_read_exact(stream, _HEADER.size))
    if rejected:
        return None
    rows = (sizes[0], sizes[1], sizes[2])
    data = tuple(_read_exact(stream, size) for size in sizes[3:])
    digests = tuple(_read_exact(stream, count * _DIGEST_BYTES) for count in rows)
    return JoinedRoute((data[0], data[1], data[2]), rows, (digests[0], digests[1], digests[2]))


def _read_exact(stream: IO[bytes], size: int) -> bytes:
    data = stream.read(size) if size else b""
    if len(data) != size:
        raise EOFError(f"expected {size} bytes from the pipe, got {len(data)}")
    return data


def main(argv: list[str]) -> None:
    """Serve requests from stdin until it ends."""
    seed, train, val, test, key_index, columns = argv
    assigner = HashAssigner(int(seed), (float(train), float(val), float(test)))
    requests = sys.stdin.buffer
    responses = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    # Point fd 1 at stderr, so that a stray print cannot corrupt the responses.
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())

    while header := requests.read(_LENGTH.size):
        (size,) = _LENGTH.unpack(header)
        data = _read_exact(requests, size)
        write_response(responses, route_block(data, int(key_index), int(columns), assigner))
    responses.close()
