"""Live in-memory indexes: a main array block plus a small delta, kept in step with the database.

Every match request first compares the database's change counter with the index's; when it has
moved, only the rows stamped since are read. Changed rows are masked out of the main block and
scored from a delta block packed from their rows; when the delta grows past a few percent of
the main block, everything is rebuilt. Readers take an immutable snapshot, so a refresh in one
thread never changes arrays another thread is scoring.

An index keeps the rows it packed as a table of columns (`PostColumns`, `LabourerColumns`: read
from the database without one object per row). Deltas and rebuilds take and join table rows;
the snapshot's `records` makes single rows back into records. A labourer index may also adopt
a block another process built (matches.store).
"""

import ctypes
import ctypes.util
import gc
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from itertools import count
from typing import Any, Generic, Protocol, Self, TypeVar, runtime_checkable

import numpy as np
import numpy.typing as npt

from matching.scoring import LabourerArrays, LabourerProfile, PostArrays, PostRecord
from matching.scoring.arrays import LabourerColumns, PostColumns, region_key

__all__ = [
    "Block",
    "LiveIndex",
    "RowIds",
    "Snapshot",
    "Table",
    "labourer_index",
    "post_index",
    "region_key",
]

Record = TypeVar("Record", PostRecord, LabourerProfile)
Arrays = TypeVar("Arrays", PostArrays, LabourerArrays)
Record_co = TypeVar("Record_co", covariant=True)
Arrays_co = TypeVar("Arrays_co", covariant=True)
Ids = npt.NDArray[np.int64]


@runtime_checkable
class Table(Protocol[Record_co, Arrays_co]):
    """Rows of an index in the form they are packed from."""

    @property
    def ids(self) -> Ids:
        """Record id of each row."""
        ...

    @property
    def region_keys(self) -> Ids:
        """Region key of each row (see region_key)."""
        ...

    def __len__(self) -> int: ...

    def take(self, rows: Ids) -> Self:
        """These rows, in this order."""
        ...

    def concat(self, others: Sequence[Self]) -> Self:
        """These rows followed by the others'."""
        ...

    def pack(self) -> Arrays_co:
        """The rows as scoring arrays."""
        ...

    def record(self, row: int) -> Record_co:
        """One row as a record."""
        ...


class RowIds(Mapping[int, int]):
    """Record id → row of a block, by binary search over the ids in row order.

    Not a dict: one of 2 M labourers costs about 200 MB in each web worker, and an index that
    the workers share (matches.store) could not share it; the ids are an array the block
    holds anyway, sorted already for a block ordered by id.
    """

    def __init__(self, ids: Ids) -> None:
        ids = np.asarray(ids, dtype=np.int64)
        if len(ids) < 2 or bool(np.all(ids[1:] > ids[:-1])):
            self._sorted, self._rows = ids, None
        else:
            order = np.argsort(ids, kind="stable")
            self._sorted, self._rows = ids[order], order.astype(np.int64)

    def __getitem__(self, rid: int) -> int:
        at = int(np.searchsorted(self._sorted, rid))
        if at == len(self._sorted) or self._sorted[at] != rid:
            raise KeyError(rid)
        return at if self._rows is None else int(self._rows[at])

    def __iter__(self) -> Iterator[int]:
        """Ids in row order."""
        if self._rows is None:
            return iter(self._sorted.tolist())
        ids = np.empty_like(self._sorted)
        ids[self._rows] = self._sorted
        return iter(ids.tolist())

    def __len__(self) -> int:
        return len(self._sorted)

    def rows_of(self, ids: Ids) -> Ids:
        """The row of each id, -1 for ids the block does not hold."""
        ids = np.asarray(ids, dtype=np.int64)
        at = np.minimum(np.searchsorted(self._sorted, ids), max(len(self._sorted) - 1, 0))
        found = self._sorted[at] == ids if len(self._sorted) else np.zeros(len(ids), np.bool_)
        rows = at if self._rows is None else self._rows[at]
        return np.where(found, rows, -1).astype(np.int64)


_SERIALS = count(1)


@dataclass(frozen=True)
class Block(Generic[Arrays]):
    """One array block and which of its rows are current.

    Post blocks are ordered by region (`region_keys`: the code padded to nine digits), so the
    posts inside one region are a contiguous run of rows that a binary search finds.
    """

    arrays: Arrays
    alive: npt.NDArray[np.bool_]
    rows: RowIds
    region_keys: npt.NDArray[np.int64] | None = None
    slices: dict[tuple[int, int], Arrays] = field(default_factory=dict, compare=False)
    # What is derived from the arrays once and kept (a post block's province runs: matches.
    # matcher); like `slices`, shared by a copy that only marks rows dead.
    derived: dict[str, Any] = field(default_factory=dict, compare=False)
    # Names the rows' contents: a new block (a build, a delta) gets a new serial; a block
    # that only marks rows dead (`replace(alive=…)`) keeps its rows and its serial.
    serial: int = field(default_factory=lambda: next(_SERIALS), compare=False)

    def span(self, low: int, high: int) -> tuple[int, int]:
        """The rows whose region key lies in [low, high)."""
        assert self.region_keys is not None
        start, stop = np.searchsorted(self.region_keys, [low, high])
        return int(start), int(stop)


@dataclass(frozen=True)
class Snapshot(Generic[Arrays, Record]):
    """What a reader scores against: immutable once published.

    `tables` holds the rows each block was packed from (main's, then delta's), in block order.
    """

    main: Block[Arrays]
    delta: Block[Arrays] | None
    tables: tuple[Table[Record, Arrays], ...]
    seq: int
    built_on: date

    def current(self, rid: int) -> tuple[Block[Arrays], int] | None:
        """The block and row holding the record's current contents (a changed record's is the
        delta's), or None when the record is not current."""
        if self.delta is not None and (row := self.delta.rows.get(rid)) is not None:
            return self.delta, row
        row = self.main.rows.get(rid)
        if row is None or not self.main.alive[row]:
            return None
        return self.main, row

    def version(self, rid: int) -> tuple[int, int] | None:
        """A token for the record's current contents, equal for as long as they are unchanged
        (its block's serial and row); None when the record is not current. Records are made
        from the tables on each access, so an object's identity cannot tell this."""
        found = self.current(rid)
        return None if found is None else (found[0].serial, found[1])

    def blocks(self) -> list[Block[Arrays]]:
        """Main then delta."""
        return [self.main] if self.delta is None else [self.main, self.delta]

    @property
    def records(self) -> Mapping[int, Record]:
        """Every current record by id (made from the tables on access)."""
        return _Records(self)

    def __len__(self) -> int:
        delta = 0 if self.delta is None else len(self.delta.rows)
        return int(np.count_nonzero(self.main.alive)) + delta


class _Records(Mapping[int, Record], Generic[Arrays, Record]):
    """A snapshot's current records: delta rows, then main rows that are still alive."""

    def __init__(self, snapshot: Snapshot[Arrays, Record]) -> None:
        self._snapshot: Snapshot[Arrays, Record] = snapshot

    def __getitem__(self, rid: int) -> Record:
        snap = self._snapshot
        if snap.delta is not None and (row := snap.delta.rows.get(rid)) is not None:
            return snap.tables[1].record(row)
        row = snap.main.rows.get(rid)
        if row is None or not snap.main.alive[row]:
            raise KeyError(rid)
        return snap.tables[0].record(row)

    def __iter__(self) -> Iterator[int]:
        snap = self._snapshot
        yield from snap.tables[0].ids[snap.main.alive].tolist()
        if snap.delta is not None:
            yield from snap.delta.rows

    def __len__(self) -> int:
        return len(self._snapshot)


class LiveIndex(Generic[Arrays, Record]):
    """An index of records (posts or labourers) with cheap incremental refresh.

    `build` and `apply` take records, or a table of the kind `tabulate` makes from records.
    """

    def __init__(
        self,
        tabulate: Callable[[Sequence[Record]], Table[Record, Arrays]],
        *,
        by_region: bool = False,
        rebuild_fraction: float = 0.05,
        min_rebuild: int = 2_000,
    ) -> None:
        self._tabulate: Callable[[Sequence[Record]], Table[Record, Arrays]] = tabulate
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

    def build(
        self, records: Sequence[Record] | Table[Record, Arrays], seq: int, today: date
    ) -> None:
        """Replace everything with these records (of a repeated id, the last)."""
        main, table = self._block(self._table(records))
        self._snapshot = Snapshot(main, None, (table,), seq, today)
        _freeze(len(table.ids))

    def adopt(self, arrays: Arrays, table: Table[Record, Arrays], seq: int, today: date) -> None:
        """Replace everything with a block packed elsewhere (a shared index: matches.store):
        `arrays` packed from `table`, whose rows are ordered by id."""
        ids = table.ids
        if len(ids) > 1 and not bool(np.all(ids[1:] > ids[:-1])):
            raise ValueError("an adopted table's rows must be ordered by id, without repeats")
        keys = table.region_keys if self._by_region else None
        if keys is not None and len(keys) > 1 and bool(np.any(keys[1:] < keys[:-1])):
            raise ValueError("an index by region adopts rows ordered by region")
        main = Block(arrays, np.ones(len(ids), dtype=np.bool_), RowIds(ids), keys)
        self._snapshot = Snapshot(main, None, (table,), seq, today)
        _freeze(len(ids))

    def overflows(self, changed: int) -> bool:
        """Whether folding `changed` more rows in would rebuild the main block (`apply`)."""
        current = self._snapshot
        assert current is not None, "build() first"
        delta = 0 if current.delta is None else len(current.delta.rows)
        return self._rebuilds(changed + delta, len(current.main.rows))

    def _rebuilds(self, delta_rows: int, main_rows: int) -> bool:
        return delta_rows > max(self._min_rebuild, self._rebuild_fraction * main_rows)

    def apply(
        self,
        changed: Sequence[Record] | Table[Record, Arrays],
        removed: Sequence[int],
        seq: int,
    ) -> None:
        """Fold changed and removed records into a new snapshot."""
        current = self._snapshot
        assert current is not None, "build() first"
        new = self._table(changed)
        touched = np.union1d(new.ids, np.asarray(removed, dtype=np.int64))
        # Rows of the current delta that nothing touched stay in the delta.
        kept: list[Table[Record, Arrays]] = [
            t.take(np.flatnonzero(~np.isin(t.ids, touched)).astype(np.int64))
            for t in current.tables[1:]
        ]
        delta_rows = new.concat(kept) if kept else new
        if self._rebuilds(len(delta_rows), len(current.main.rows)):
            main_table = current.tables[0]
            alive = current.main.alive & ~np.isin(main_table.ids, touched)
            everything = main_table.take(np.flatnonzero(alive).astype(np.int64))
            main, table = self._block(everything.concat([delta_rows]))
            self._snapshot = Snapshot(main, None, (table,), seq, current.built_on)
            _freeze(len(table.ids))
            return
        alive = current.main.alive.copy()
        for rid in touched.tolist():
            row = current.main.rows.get(rid)
            if row is not None:
                alive[row] = False
        main = replace(current.main, alive=alive)  # same arrays: keys and slice cache still hold
        tables: tuple[Table[Record, Arrays], ...] = (current.tables[0],)
        delta = None
        if len(delta_rows):
            delta, delta_table = self._block(delta_rows)
            tables += (delta_table,)
        self._snapshot = Snapshot(main, delta, tables, seq, current.built_on)

    def _table(self, rows: Sequence[Record] | Table[Record, Arrays]) -> Table[Record, Arrays]:
        """Rows as a table, keeping the last of repeated ids."""
        table = rows if isinstance(rows, Table) else self._tabulate(rows)
        ids = table.ids
        distinct, last = np.unique(ids[::-1], return_index=True)
        if len(distinct) == len(ids):
            return table
        return table.take(np.sort(len(ids) - 1 - last).astype(np.int64))

    def _block(self, table: Table[Record, Arrays]) -> tuple[Block[Arrays], Table[Record, Arrays]]:
        """A block of the table's rows (ordered by region key or id), and the rows in its order."""
        ids = table.ids
        keys = None
        if self._by_region:
            keys = table.region_keys
            order = np.lexsort((ids, keys))
            keys = keys[order]
        else:
            order = np.argsort(ids, kind="stable")
        identity = bool(np.all(order == np.arange(len(order))))
        ordered = table if identity else table.take(order.astype(np.int64))
        n = len(ids)
        block = Block(
            arrays=ordered.pack(),
            alive=np.ones(n, dtype=np.bool_),
            rows=RowIds(ordered.ids),
            region_keys=keys,
        )
        return block, ordered


FREEZE_FROM = 10_000  # rows: below, the collector's walks are short and not worth a freeze


def _freeze(rows: int) -> None:
    """After a large build, move every object alive now out of the garbage collector's reach.
    Full collections walked the indexes' objects, 0.5-0.7 s each, and put those pauses in the
    requests' p99 (issue 14). The indexes are columns now and hold few objects; the freeze is
    kept for whatever else a build leaves alive (not measured since). Frozen objects are still
    freed by reference counting when a later snapshot replaces them (the indexes hold no
    reference cycles). Then hand the memory the build freed back to the system: glibc keeps it
    for the process otherwise (130 MB after building 2 M labourers, in every web worker that
    built)."""
    if rows >= FREEZE_FROM:
        gc.freeze()
        if _LIBC is not None:
            _LIBC.malloc_trim(0)


def _libc() -> ctypes.CDLL | None:
    """The C library when it is glibc (the one with malloc_trim), else None."""
    if sys.platform != "linux":
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
    except OSError:
        return None
    return libc if hasattr(libc, "malloc_trim") else None


_LIBC = _libc()


def post_index() -> LiveIndex[PostArrays, PostRecord]:
    """An empty index of open posts."""
    return LiveIndex(PostColumns.from_records, by_region=True)


def labourer_index() -> LiveIndex[LabourerArrays, LabourerProfile]:
    """An empty index of labourers."""
    return LiveIndex(LabourerColumns.from_profiles)
