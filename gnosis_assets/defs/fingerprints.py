"""Fingerprints of version folders on a volume, and the sensor cursor that stores them.

A fingerprint is the first 16 hex characters of the SHA256 over the sorted lines
`path<TAB>size<TAB>mtime_ns<LF>` of every non-folder entry below a version folder. Folder
entries are left out because their mtime changes whenever a file is added, which the file
lines already show.
"""

import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from gnosis_assets.volumes.base import FileEntry, FileEntryType

log = logging.getLogger(__name__)

CURSOR_FORMAT = 1
DIGEST_LENGTH = 16  # hex characters kept per version: 64 bits


@dataclass(frozen=True)
class Fingerprint:
    """The digest of one version folder and the newest modification time in it."""

    digest: str
    newest_mtime_ns: int
    files: int


def fingerprint(entries: Iterable[FileEntry], folder: str) -> Fingerprint:
    """Fingerprint the entries listed below `folder` (relative paths, `/` separators)."""
    prefix = f"{folder.rstrip('/')}/"
    lines = []
    newest = 0
    for entry in entries:
        if entry.type == FileEntryType.DIRECTORY:
            continue
        relative = entry.path[len(prefix) :] if entry.path.startswith(prefix) else entry.path
        lines.append(f"{relative}\t{entry.size}\t{entry.version_stamp}\n")
        newest = max(newest, entry.version_stamp)
    digest = hashlib.sha256("".join(sorted(lines)).encode("utf-8")).hexdigest()
    return Fingerprint(digest=digest[:DIGEST_LENGTH], newest_mtime_ns=newest, files=len(lines))


@dataclass
class VolumeCursor:
    """The state a volume sensor keeps between ticks, keyed by `<name>/<version>`.

    - `synced`: the fingerprint a run was last requested for.
    - `pending`: a fingerprint seen on the previous tick that was not yet stable.
    - `absent`: versions in `synced` that were not listed on the previous tick.
    - `missing`: versions flagged as missing in the registry.
    - `after`: the last version re-fingerprinted, where the next chunk starts.
    """

    synced: dict[str, str] = field(default_factory=dict)
    pending: dict[str, str] = field(default_factory=dict)
    absent: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    after: str = ""

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": CURSOR_FORMAT,
                "synced": dict(sorted(self.synced.items())),
                "pending": dict(sorted(self.pending.items())),
                "absent": sorted(self.absent),
                "missing": sorted(self.missing),
                "after": self.after,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str | None) -> "VolumeCursor":
        """Parse a cursor; an empty, invalid or other-format cursor gives an empty one.

        Starting empty is safe: every version is fingerprinted again, and versions whose
        fingerprint did not change get the same run key as before, which Dagster does not run
        twice for one sensor.
        """
        if not text:
            return cls()
        try:
            document = json.loads(text)
        except json.JSONDecodeError:
            log.warning("sensor cursor is not JSON; fingerprinting every version again")
            return cls()
        if not isinstance(document, dict) or document.get("format") != CURSOR_FORMAT:
            found = document.get("format") if isinstance(document, dict) else None
            log.warning(
                "sensor cursor has format %r, expected %d; fingerprinting every version again",
                found,
                CURSOR_FORMAT,
            )
            return cls()
        return cls(
            synced={str(k): str(v) for k, v in (document.get("synced") or {}).items()},
            pending={str(k): str(v) for k, v in (document.get("pending") or {}).items()},
            absent=[str(item) for item in document.get("absent") or []],
            missing=[str(item) for item in document.get("missing") or []],
            after=str(document.get("after") or ""),
        )
