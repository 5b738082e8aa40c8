"""Live in-memory indexes: a main array block plus a small delta, kept in step with the database.

Every match request first compares the database's change counter with the index's; when it has
moved, only the rows stamped since are read. Changed rows are masked out of the main block and
scored from a delta block rebuilt from their records; when the delta grows past a few percent of
the main block, everything is rebuilt. Readers take an immutable snapshot, so a refresh in one
thread never changes arrays another thread is scoring.
"""

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Generic, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from matching.scoring import LabourerArrays, LabourerProfile, PostArrays, PostRecord

Record = TypeVar("Record", PostRecord, LabourerProfile)
Arrays = TypeVar("Arrays", PostArrays, LabourerArrays)


class _HasId(Protocol):
    id: int


@dataclass(frozen=True)
class Block(Generic[Arrays]):
    """One array block and which of its rows are current.

    Post blocks are ordered by region (`region_keys`: the code padded to nine digits), so the
    posts inside one region are a contiguous run of rows that a binary search finds.
    """

    arrays: Arrays
    alive: npt.NDArray[np.bool_]
    rows: dict[int, int]  # record id → row
    region_keys: npt.NDArray[np.int64] | None = None
    slices: dict[tuple[int, int], Arrays] = field(default_factory=dict, compare=False)

    def span(self, low: int, high: int) -> tuple[int, int]:
        """The rows whose region key lies in [low, high)."""
        assert self.region_keys is not None
        start, stop = np.searchsorted(self.region_keys, [low, high])
        return int(start), int(stop)


@dataclass(frozen=True)
class Snapshot(Generic[Arrays, Record]):
    """What a reader scores against: immutable once published."""

    main: Block[Arrays]
    delta: Block[Arrays] | None
    records: dict[int, Record]
    seq: int
    built_on: date

    def blocks(self) -> list[Block[Arrays]]:
        """Main then delta."""
        return [self.main] if self.delta is None else [self.main, self.delta]

    def __len__(self) -> int:
        return len(self.records)


class LiveIndex(Generic[Arrays, Record]):
    """An index of records (posts or labourers) with cheap incremental refresh."""

    def __init__(
        self,
        pack: Callable[[Sequence[Record]], Arrays],
        *,
        by_region: bool = False,
        rebuild_fraction: float = 0.05,
        min_rebuild: int = 2_000,
    ) -> None:
        self._pack: Callable[[Sequence[Record]], Arrays] = pack
        self._by_region = by_region
        self._rebuild_fraction = rebuild_fraction
        self._min_rebuild = min_rebuild
        self._lock = threading.Lock()
        self._snapshot: Snapshot[Arrays, Record] | None = None

    @property
    def snapshot(self) -> Snapshot[Arrays, Record] | None:
        """The current snapshot (None before the first build)."""
        return self._snapshot

    @property
    def lock(self) -> threading.Lock:
        """Held by whoever refreshes; readers never need it."""
        return self._lock

    def build(self, records: Sequence[Record], seq: int, today: date) -> None:
        """Replace everything with these records."""
        by_id = {r.id: r for r in records}
        self._snapshot = Snapshot(self._block(list(by_id.values())), None, by_id, seq, today)

    def apply(self, changed: Sequence[Record], removed: Sequence[int], seq: int) -> None:
        """Fold changed and removed records into a new snapshot."""
        current = self._snapshot
        assert current is not None, "build() first"
        records = dict(current.records)
        for rid in removed:
            records.pop(rid, None)
        for record in changed:
            records[record.id] = record
        touched = {r.id for r in changed} | set(removed)
        stale = set(current.delta.rows) if current.delta else set()
        in_delta = (stale | touched) & set(records)
        if len(in_delta) > max(self._min_rebuild, self._rebuild_fraction * len(current.main.rows)):
            self._snapshot = Snapshot(
                self._block(list(records.values())), None, records, seq, current.built_on
            )
            return
        alive = current.main.alive.copy()
        for rid in touched:
            row = current.main.rows.get(rid)
            if row is not None:
                alive[row] = False
        main = replace(current.main, alive=alive)  # same arrays: keys and slice cache still hold
        delta = self._block([records[i] for i in sorted(in_delta)]) if in_delta else None
        self._snapshot = Snapshot(main, delta, records, seq, current.built_on)

    def _block(self, records: list[Record]) -> Block[Arrays]:
        n = len(records)
        ids = np.fromiter((r.id for r in records), dtype=np.int64, count=n)
        keys = None
        if self._by_region:
            keys = np.fromiter((region_key(r.region) for r in records), dtype=np.int64, count=n)
            order = np.lexsort((ids, keys))
            keys = keys[order]
        else:
            order = np.argsort(ids, kind="stable")
        ordered = [records[i] for i in order.tolist()]
        return Block(
            arrays=self._pack(ordered),
            alive=np.ones(n, dtype=np.bool_),
            rows=dict(zip(ids[order].tolist(), range(n), strict=True)),
            region_keys=keys,
        )


def region_key(code: str) -> int:
    """A region code (to township level) padded to nine digits: 430981 → 430981000."""
    return int(code[:9].ljust(9, "0"))


def post_index() -> LiveIndex[PostArrays, PostRecord]:
    """An empty index of open posts."""
    return LiveIndex(PostArrays.from_records, by_region=True)


def labourer_index() -> LiveIndex[LabourerArrays, LabourerProfile]:
    """An empty index of labourers."""
    return LiveIndex(LabourerArrays.from_profiles)
