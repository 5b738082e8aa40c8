"""Ragged integer rows (CSR), a padded dense block of them, and their inverted index."""

from collections.abc import Sequence
from itertools import chain

import numpy as np

from matching.scoring.dtypes import I32, I64


def csr(rows: Sequence[Sequence[int]], *, distinct: bool = False) -> tuple[I64, I32]:
    """(indptr, indices) of ragged integer rows, duplicates dropped, first order kept
    (`distinct`: the rows have none, and are taken as they are)."""
    unique = rows if distinct else [tuple(dict.fromkeys(r)) for r in rows]
    indptr = np.zeros(len(unique) + 1, dtype=np.int64)
    np.cumsum([len(r) for r in unique], out=indptr[1:])
    indices = np.fromiter(chain.from_iterable(unique), dtype=np.int32, count=int(indptr[-1]))
    return indptr, indices


def check_csr(indptr: I64, indices: I32, n: int, name: str) -> None:
    """Refuse a CSR pair that does not describe n rows of non-negative indices."""
    if len(indptr) != n + 1 or indptr[0] != 0 or indptr[-1] != len(indices):
        raise ValueError(f"{name}: indptr must have {n + 1} entries from 0 to len(indices)")
    if np.any(np.diff(indptr) < 0) or (len(indices) and indices.min() < 0):
        raise ValueError(f"{name}: indptr must not decrease and indices must be >= 0")


def row_of_entries(indptr: I64) -> I64:
    """The row each CSR entry belongs to."""
    return np.repeat(np.arange(len(indptr) - 1, dtype=np.int64), np.diff(indptr))


# Padding for blocks read with np.take(..., mode="clip"): it lands on the table's last slot.
# (-1 would too, but negative indices make np.take several times slower.)
PAD = int(np.iinfo(np.int64).max)


def pad(indptr: I64, indices: I32, width: int) -> tuple[I64, I64, I32]:
    """The first `width` entries per row as a dense (K, N) block padded with PAD, and the rest
    as (row, index) overflow lists in order; K = min(width, longest row)."""
    n, counts = len(indptr) - 1, np.diff(indptr)
    k = int(min(width, counts.max(initial=0)))
    block = np.full((k, n), PAD, dtype=np.int64)  # int64: np.take would convert int32 per call
    for j in range(k):
        has = counts > j
        block[j, has] = indices[indptr[:-1][has] + j]
    rows = row_of_entries(indptr)
    over = np.arange(len(indices)) - indptr[:-1][rows] >= width
    return block, rows[over], indices[over]


def invert(indptr: I64, indices: I32) -> tuple[I64, I64]:
    """Inverted index: for each index value v, the rows holding it are rows[ptr[v]:ptr[v + 1]]."""
    size = int(indices.max(initial=-1)) + 1
    order = np.argsort(indices, kind="stable")
    ptr = np.zeros(size + 1, dtype=np.int64)
    np.cumsum(np.bincount(indices, minlength=size), out=ptr[1:])
    return ptr, row_of_entries(indptr)[order]


def postings(ptr: I64, rows: I64, values: I64) -> tuple[I64, I64]:
    """(row, value) for every row holding any of `values`, from an inverted index."""
    values = values[values < len(ptr) - 1]  # values nobody holds are past the index's end
    starts = ptr[values]
    lengths = ptr[values + 1] - starts
    which = np.repeat(np.arange(len(values), dtype=np.int64), lengths)
    # Position of each posting: its range's start plus its offset within the range.
    offsets = np.arange(int(lengths.sum()), dtype=np.int64) - np.repeat(
        np.cumsum(lengths) - lengths, lengths
    )
    return rows[starts[which] + offsets], values[which]


def take_rows(indptr: I64, indices: I32, rows: I64) -> tuple[I64, I32]:
    """The CSR of these rows, in this order."""
    counts = np.diff(indptr)[rows]
    new_indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(counts, out=new_indptr[1:])
    # Entry j of the result comes from its row's old start plus its offset in the row.
    source = np.repeat(indptr[:-1][rows] - new_indptr[:-1], counts)
    source += np.arange(int(new_indptr[-1]), dtype=np.int64)
    return new_indptr, indices[source]


def join_rows(parts: Sequence[tuple[I64, I32]]) -> tuple[I64, I32]:
    """The CSR of the parts' rows, one part after the other."""
    offsets = np.cumsum([0] + [len(indices) for _, indices in parts[:-1]])
    indptr = np.concatenate(
        [np.zeros(1, dtype=np.int64)]
        + [ptr[1:] + offset for (ptr, _), offset in zip(parts, offsets, strict=True)]
    )
    return indptr.astype(np.int64), np.concatenate([indices for _, indices in parts])
