"""One tick of a volume sensor, without Dagster: which versions are new, changed or gone.

The tick lists the version folders of every catalog name (one non-recursive listing per
name), then fingerprints version folders one recursive listing each, within a budget of
versions and seconds. Versions are fingerprinted in this order: those pending on the previous
tick, those not yet in the cursor, then the known ones in a round-robin that resumes after the
cursor's `after` key.

Settle rule: a new or changed fingerprint starts a run only when it is stable, which means
that its newest entry is older than `settle_seconds`, or the previous tick saw the same
fingerprint. A folder still being written therefore waits at least one more tick.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from gnosis_assets.defs.fingerprints import Fingerprint, VolumeCursor, fingerprint
from gnosis_assets.volumes.base import VolumeError, VolumeSource, list_children

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WatchLimits:
    """How much one tick may do, and how long a fingerprint must rest before it syncs."""

    settle_seconds: float = 300.0
    max_versions: int = 1000
    budget_seconds: float = 30.0


@dataclass(frozen=True)
class VersionRun:
    """A run to request: one version of one source or model at one fingerprint."""

    name: str
    version: str
    digest: str
    reason: str  # "new", "changed" or "returned"

    @property
    def run_key(self) -> str:
        return f"{self.name}/{self.version}@{self.digest}"


@dataclass
class TickPlan:
    """The decisions of one tick, which the sensor turns into a SensorResult."""

    cursor: VolumeCursor
    runs: list[VersionRun] = field(default_factory=list)
    new_partitions: dict[str, list[str]] = field(default_factory=dict)  # name -> versions
    newly_missing: list[tuple[str, str]] = field(default_factory=list)  # (name, version)
    returned: list[tuple[str, str]] = field(default_factory=list)  # back after being flagged
    waiting: list[str] = field(default_factory=list)  # keys whose fingerprint is not stable
    fingerprinted: int = 0
    complete: bool = True  # False when the budget or an error ended the tick early
    errors: list[str] = field(default_factory=list)


def _split_key(key: str) -> tuple[str, str]:
    name, _, version = key.partition("/")
    return name, version


def list_versions(volume: VolumeSource, names: list[str]) -> list[str]:
    """Return the sorted `<name>/<version>` keys of every version folder on the volume."""
    return sorted(f"{name}/{version}" for name in names for version in list_children(volume, name))


def fingerprint_order(cursor: VolumeCursor, present: list[str]) -> list[str]:
    """Order the keys to fingerprint: pending first, then unknown, then known by round-robin."""
    pending = [key for key in present if key in cursor.pending]
    unknown = [key for key in present if key not in cursor.synced and key not in cursor.pending]
    known = [key for key in present if key in cursor.synced and key not in cursor.pending]
    rotated = [key for key in known if key > cursor.after] + [
        key for key in known if key <= cursor.after
    ]
    return pending + unknown + rotated


def plan_tick(
    volume: VolumeSource,
    names: list[str],
    cursor: VolumeCursor,
    partitions: Callable[[str], set[str]],
    limits: WatchLimits,
    *,
    now: Callable[[], float] = time.time,
    clock: Callable[[], float] = time.monotonic,
) -> TickPlan:
    """Compare the volume with the cursor and return the runs and flags of one tick.

    `partitions(name)` returns the versions Dagster already has partitions for. A version
    synced by `gnosis sync` or before a cursor reset is therefore not added twice, and one that
    is gone now is flagged even if the cursor never saw it.
    Raises VolumeError if the version folders cannot be listed at all.
    """
    started = clock()
    present = list_versions(volume, names)
    present_set = set(present)
    known_partitions = {name: partitions(name) for name in names}
    plan = TickPlan(
        cursor=VolumeCursor(
            # Absent versions keep their fingerprint until they are flagged, so one partial
            # listing does not turn them into new versions.
            synced=dict(cursor.synced),
            pending={k: v for k, v in cursor.pending.items() if k in present_set},
            missing=[key for key in cursor.missing if key not in present_set],
            after=cursor.after,
        )
    )
    _plan_removals(plan, cursor, present_set, known_partitions)

    for key in sorted(set(cursor.missing) & present_set):
        plan.returned.append(_split_key(key))

    settle_ns = int(limits.settle_seconds * 1e9)
    order = fingerprint_order(cursor, present)
    round_robin = {key for key in present if key in cursor.synced and key not in cursor.pending}
    for key in order:
        if plan.fingerprinted >= limits.max_versions or clock() - started > limits.budget_seconds:
            plan.complete = False
            break
        try:
            current = fingerprint(volume.iterdir(key, recursive=True), key)
        except VolumeError as error:
            log.error("listing %s on %s failed: %s", key, volume.describe(), error)
            plan.errors.append(str(error))
            plan.complete = False
            break
        plan.fingerprinted += 1
        if key in round_robin:
            plan.cursor.after = key
        now_ns = int(now() * 1e9)
        _judge(plan, cursor, key, current, known_partitions, now_ns=now_ns, settle_ns=settle_ns)
    return plan


def _plan_removals(
    plan: TickPlan,
    cursor: VolumeCursor,
    present: set[str],
    known_partitions: dict[str, set[str]],
) -> None:
    """Flag versions absent on two ticks in a row, because one absence may be a partial listing."""
    known = set(cursor.synced)
    for name, versions in known_partitions.items():
        known.update(f"{name}/{version}" for version in versions)
    flagged = set(cursor.missing)
    for key in sorted(known - present - flagged):
        if key in cursor.absent:
            plan.newly_missing.append(_split_key(key))
            plan.cursor.missing.append(key)
            plan.cursor.synced.pop(key, None)
        else:
            plan.cursor.absent.append(key)


def _judge(
    plan: TickPlan,
    cursor: VolumeCursor,
    key: str,
    current: Fingerprint,
    known_partitions: dict[str, set[str]],
    *,
    now_ns: int,
    settle_ns: int,
) -> None:
    if current.files == 0:
        # An empty folder is usually one being created, and the sync would reject it.
        plan.cursor.pending.pop(key, None)
        return
    previous = cursor.synced.get(key)
    if previous == current.digest:
        plan.cursor.pending.pop(key, None)
        return
    settled = now_ns - current.newest_mtime_ns >= settle_ns
    if not settled and cursor.pending.get(key) != current.digest:
        plan.cursor.pending[key] = current.digest
        plan.waiting.append(key)
        return

    name, version = _split_key(key)
    if key in cursor.missing:
        reason = "returned"
    elif previous is None:
        reason = "new"
    else:
        reason = "changed"
    if version not in known_partitions[name]:
        plan.new_partitions.setdefault(name, []).append(version)
    plan.runs.append(VersionRun(name=name, version=version, digest=current.digest, reason=reason))
    plan.cursor.synced[key] = current.digest
    plan.cursor.pending.pop(key, None)
