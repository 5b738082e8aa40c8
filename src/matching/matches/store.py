"""The labourer index shared by a host's web workers: one array file, mapped by each of them.

Without it every worker process of `matching serve --workers N` read and packed all labourers
itself and held its own copy (issue 14: 2.4 GB each at 2 M labourers). With a store directory
(`MATCHING_INDEX_STORE`; `serve` makes one for its workers) the first worker that needs
today's index builds it, writes its columns and derived arrays into one file, and maps the file
back; the others find the file and map it too. Mapped pages are the page cache's, counted
once however many processes map them (docs/architecture.md, "One index per host").

A file is named by its day and its change counter (`labourers-2026-12-05-000000001234.idx`)
and written under another name, then renamed into place: a reader sees a whole file or none.
An exclusive lock on `labourers.lock` makes one worker build while the others wait for its
file. Each worker keeps its own small delta of the rows changed since the file's counter
(matches.live); when that delta would rebuild the main block, the worker maps a newer file if
another worker wrote one, or builds and publishes the next file itself. Older files are
removed when a new one is published: a process that still maps one keeps its pages until it
lets go (unlinking a mapped file is safe; cutting one short in place is not — a process reading
past its new end is killed by SIGBUS — so files are only ever replaced, never rewritten). A
file that cannot be published or read (a full disk, a damaged file) is logged, and the worker
builds its own copy, or publishes a fresh file over the damaged one (matches.matcher). A
publisher also removes what a writer killed mid-write left (`remove_orphans`), and `matching
serve` the directories of services killed before they removed theirs.

File layout: the magic line, an 8-byte little-endian header length, the JSON header (each
array's name, dtype, shape and offset, and the table's code lists), then the arrays, each at
a 64-byte aligned offset. An array that several names share (a column LabourerArrays uses as
given) is written once.
"""

import fcntl
import json
import mmap
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from matching.kit.processes import pid_exists
from matching.scoring import LabourerArrays
from matching.scoring.arrays import LabourerColumns

MAGIC = b"matching-index 1\n"
ALIGN = 64
_NAME = re.compile(r"^labourers-(\d{4}-\d{2}-\d{2})-(\d{12})\.idx$")


@dataclass(frozen=True, slots=True)
class SharedFile:
    """One published index file."""

    path: Path
    day: date
    seq: int


class LabourerStore:
    """The directory of published labourer index files of one database."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Held while a process looks for, builds or publishes a file (blocks the others)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / "labourers.lock", "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def latest(self, day: date) -> SharedFile | None:
        """The newest file published for this day, if any."""
        found = [f for f in self._files() if f.day == day]
        return max(found, key=lambda f: f.seq, default=None)

    def _files(self) -> list[SharedFile]:
        if not self.directory.is_dir():
            return []
        out = []
        for path in self.directory.iterdir():
            if (match := _NAME.match(path.name)) is not None:
                out.append(SharedFile(path, date.fromisoformat(match[1]), int(match[2])))
        return out

    def publish(
        self, table: LabourerColumns, arrays: LabourerArrays, seq: int, day: date
    ) -> SharedFile:
        """Write the table and its arrays as the file of (day, seq); remove the older files."""
        path = self.directory / f"labourers-{day.isoformat()}-{seq:012d}.idx"
        columns = {f"table.{name}": value for name, value in table.columns.items()}
        columns |= {"table.region_index": table.region_index, "table.sex": table.sex}
        columns |= {f"arrays.{name}": value for name, value in arrays.parts().items()}
        meta = {"region_codes": list(table.region_codes), "sexes": list(table.sexes)}
        write_arrays(path, columns, meta)
        for old in self._files():
            if old.path != path:
                old.path.unlink(missing_ok=True)
        remove_orphans(self.directory)
        return SharedFile(path, day, seq)

    @staticmethod
    def load(shared: SharedFile) -> tuple[LabourerArrays, LabourerColumns]:
        """The arrays and table of a published file, as read-only views of its mapping."""
        arrays, meta = map_arrays(shared.path)
        table_columns = {
            name.removeprefix("table."): value
            for name, value in arrays.items()
            if name.startswith("table.")
        }
        region_index, sex = table_columns.pop("region_index"), table_columns.pop("sex")
        table = LabourerColumns(table_columns, region_index, tuple(meta["region_codes"]), sex,
                                tuple(meta["sexes"]))  # fmt: skip
        parts = {
            name.removeprefix("arrays."): value
            for name, value in arrays.items()
            if name.startswith("arrays.")
        }
        return LabourerArrays.from_parts(parts), table


_TEMPORARY = re.compile(r"^\.labourers-.*\.(\d+)\.tmp$")


def remove_orphans(directory: Path) -> list[Path]:
    """Remove the half-written files of writers that died mid-write (killed: `write_arrays`
    removes its own on any error), named by their writer's process id; returns them."""
    removed = []
    for path in directory.glob(".labourers-*.tmp"):
        match = _TEMPORARY.match(path.name)
        if match is not None and not pid_exists(int(match[1])):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def write_arrays(path: Path, arrays: Mapping[str, npt.NDArray[Any]], meta: dict[str, Any]) -> None:
    """Write named arrays and a JSON-able `meta` as one file, atomically (see the module)."""
    entries: list[dict[str, Any]] = []
    written: dict[int, dict[str, Any]] = {}  # id(array) → its entry: shared arrays once
    owned: list[tuple[npt.NDArray[Any], int]] = []  # (array, offset) of each written once
    offset = 0
    for name, value in arrays.items():
        value = np.asarray(value)
        same = written.get(id(value))
        if same is not None:
            entries.append({**same, "name": name})
            continue
        entry = {"name": name, "dtype": value.dtype.str, "shape": list(value.shape),
                 "offset": offset}  # fmt: skip
        written[id(value)] = entry
        entries.append(entry)
        owned.append((value, offset))
        offset += -(-value.nbytes // ALIGN) * ALIGN
    header = json.dumps({"arrays": entries, "meta": meta}).encode()
    start = -(-(len(MAGIC) + 8 + len(header)) // ALIGN) * ALIGN
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as out:
            out.write(MAGIC + len(header).to_bytes(8, "little") + header)
            for value, at in owned:
                out.seek(start + at)
                out.write(np.ascontiguousarray(value).data)
            out.truncate(start + offset)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def map_arrays(path: Path) -> tuple[dict[str, npt.NDArray[Any]], dict[str, Any]]:
    """The arrays and meta of a file write_arrays wrote, as read-only views of one mapping."""
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        mapping = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if size else None
    if mapping is None or mapping[: len(MAGIC)] != MAGIC:
        raise ValueError(f"{path} is not a matching index file")
    length = int.from_bytes(mapping[len(MAGIC) : len(MAGIC) + 8], "little")
    header = json.loads(mapping[len(MAGIC) + 8 : len(MAGIC) + 8 + length])
    start = -(-(len(MAGIC) + 8 + length) // ALIGN) * ALIGN
    arrays = {}
    for entry in header["arrays"]:
        dtype = np.dtype(entry["dtype"])
        count = int(np.prod(entry["shape"], dtype=np.int64))
        value = np.frombuffer(mapping, dtype=dtype, count=count, offset=start + entry["offset"])
        arrays[entry["name"]] = value.reshape(entry["shape"])
    return arrays, header["meta"]
