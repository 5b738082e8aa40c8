"""The labourer index shared by a host's web workers (matches.store): one file per day and
change counter, mapped read-only by every worker; one builds, the others map."""

import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy.orm import Session
from tests.conftest import TEST_DATA_KEY, TEST_HASH_KEY

from matching.changes import LABOURERS, next_seq
from matching.labourers.models import (
    LabourAbility,
    Labourer,
    PovertyStatus,
    Relocation,
)
from matching.matches import matcher as matcher_module
from matching.matches import read_model, snapshot
from matching.matches.matcher import Matcher
from matching.matches.read_model import ReadModel
from matching.matches.snapshot import labourer_profiles
from matching.matches.store import LabourerStore, map_arrays, remove_orphans, write_arrays
from matching.scoring.arrays import LabourerColumns
from matching.settings import Settings

TODAY = date(2026, 11, 23)


def test_arrays_come_back_read_only_and_a_shared_array_is_written_once(tmp_path: Path) -> None:
    ids = np.arange(5, dtype=np.int64)
    arrays = {
        "ids": ids, "again": ids, "flags": np.array([True, False, True]),
        "empty": np.zeros(0, dtype=np.int32), "grid": np.arange(6, dtype=np.float32).reshape(2, 3),
    }  # fmt: skip
    path = tmp_path / "a.idx"
    write_arrays(path, arrays, {"codes": ["43", "4309"]})
    got, meta = map_arrays(path)
    assert meta == {"codes": ["43", "4309"]}
    for name, value in arrays.items():
        np.testing.assert_array_equal(got[name], value)
        assert got[name].dtype == value.dtype and not got[name].flags.writeable
        assert got[name].ctypes.data % 64 == 0 or got[name].nbytes == 0
    assert got["ids"].ctypes.data == got["again"].ctypes.data  # one copy in the file
    assert [p.name for p in tmp_path.iterdir()] == ["a.idx"]  # no temporary left behind


def test_a_file_of_something_else_is_refused(tmp_path: Path) -> None:
    (tmp_path / "x.idx").write_bytes(b"not an index")
    with pytest.raises(ValueError, match="not a matching index file"):
        map_arrays(tmp_path / "x.idx")


def _labourers(session: Session, n: int) -> list[Labourer]:
    people = [
        Labourer(
            name=f"工{i}",
            hukou_region="430981006",
            poverty_status=PovertyStatus.registered,
            labour_ability=LabourAbility.full,
            wants_work=True,
            relocation=Relocation.county,
            change_seq=next_seq(session, LABOURERS),
        )
        for i in range(n)
    ]
    session.add_all(people)
    session.flush()
    return people


def _change(session: Session, people: list[Labourer]) -> None:
    for person in people:
        person.wants_work = not person.wants_work
        person.change_seq = next_seq(session, LABOURERS)
    session.flush()


def test_two_workers_share_one_file_and_keep_their_own_deltas(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = _labourers(session, 30)
    settings = Settings(database_url="sqlite://", index_store=tmp_path)
    first, second = Matcher(settings), Matcher(settings)
    built = first.labourer_snapshot(session, TODAY)
    store = LabourerStore(tmp_path)
    shared = store.latest(TODAY)
    assert shared is not None and shared.seq == built.seq
    mapped = second.labourer_snapshot(session, TODAY)
    # Both hold views of the one file: nothing of theirs to write to, the same bytes.
    for snap in (built, mapped):
        assert not snap.main.arrays.ids.flags.writeable
        assert not snap.main.arrays.skill_rows.flags.writeable
    assert mapped.records[people[0].id] == built.records[people[0].id]
    assert len(mapped) == len(built) >= 30

    _change(session, people[:2])  # a small change: each worker folds it in on its own
    after = second.labourer_snapshot(session, TODAY)
    assert after.delta is not None and store.latest(TODAY) == shared
    assert after.records[people[0].id].able_and_seeking is False

    # A change past the rebuild bound: the worker publishes the next file, and the other
    # worker, past the bound too, maps that file instead of building its own.
    monkeypatch.setattr(first.labourers, "_min_rebuild", 5)
    monkeypatch.setattr(second.labourers, "_min_rebuild", 5)
    first.labourer_snapshot(session, TODAY)
    _change(session, people[2:20])
    rebuilt = first.labourer_snapshot(session, TODAY)
    newer = store.latest(TODAY)
    assert newer is not None and newer.seq > shared.seq and rebuilt.delta is None
    assert not shared.path.exists()  # the older file is gone; its mappers keep their pages
    assert built.records[people[5].id].id == people[5].id
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(matcher_module, "labourer_columns", _spy(calls))
    caught_up = second.labourer_snapshot(session, TODAY)
    assert caught_up.delta is None and caught_up.seq == newer.seq
    assert all(kwargs.get("changed_after") is not None for kwargs in calls)  # no full read
    assert caught_up.records[people[10].id] == rebuilt.records[people[10].id]


def test_a_new_day_gets_its_own_file(session: Session, tmp_path: Path) -> None:
    _labourers(session, 3)
    matcher = Matcher(Settings(database_url="sqlite://", index_store=tmp_path))
    matcher.labourer_snapshot(session, TODAY)
    matcher.labourer_snapshot(session, TODAY + timedelta(days=1))
    store = LabourerStore(tmp_path)
    assert store.latest(TODAY) is None and store.latest(TODAY + timedelta(days=1)) is not None


def _spy(calls: list[dict[str, Any]]) -> Callable[..., Any]:
    real = snapshot.labourer_columns

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        return real(*args, **kwargs)

    return spy


def test_without_a_store_the_index_is_the_process_own(session: Session) -> None:
    _labourers(session, 3)
    snap = Matcher(Settings(database_url="sqlite://")).labourer_snapshot(session, TODAY)
    assert snap.main.arrays.ids.flags.writeable


def test_a_population_read_as_rows_follows_the_delta(session: Session) -> None:
    """ReadModel.labourer_rows: the current row of each labourer asked for, in the order asked,
    a changed labourer's from the delta, one the index does not hold left out."""
    people = _labourers(session, 12)
    matcher = Matcher(Settings(database_url="sqlite://"))
    matcher.labourer_snapshot(session, TODAY)
    _change(session, people[3:5])
    model = ReadModel(matcher, session, TODAY)
    asked = np.array([people[4].id, -7, people[0].id, people[3].id, people[11].id], np.int64)
    positions, rows = model.labourer_rows(asked)
    assert positions.tolist() == [0, 2, 3, 4]
    assert rows.ids.tolist() == [people[4].id, people[0].id, people[3].id, people[11].id]
    snap = matcher.labourers.snapshot
    assert snap is not None and snap.delta is not None
    assert [rows.record(i) for i in range(len(rows))] == [
        snap.records[int(i)] for i in rows.ids.tolist()
    ]
    assert rows.record(0).able_and_seeking is False  # changed: from the delta


_WORKER = """
import json, sys
from matching import clock
from matching.database import make_engine, make_sessionmaker
from matching.matches.matcher import Matcher
from matching.settings import get_settings

settings = get_settings()
matcher = Matcher(settings)
with make_sessionmaker(make_engine(settings.database_url))() as session:
    snapshot = matcher.labourer_snapshot(session, clock.today())
store = str(settings.index_store)
with open("/proc/self/maps") as maps:
    mapped = sorted({line.split()[-1] for line in maps if store in line})
print(json.dumps({"labourers": len(snapshot), "mapped": mapped}), flush=True)
sys.stdin.readline()  # stay alive, mapping the file, until the test is done
"""


def _cli(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run([sys.executable, "-m", "matching.cli", *args], env=env,
                          capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads /proc/<pid>/maps")
def test_two_processes_map_the_one_file_the_first_wrote(tmp_path: Path) -> None:
    """Two real processes on one database and one store: the first builds and publishes, the
    second maps that same file (it writes none of its own), and both hold it mapped at once."""
    store = tmp_path / "store"
    env = {**os.environ, "MATCHING_DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}",
           "MATCHING_ENVIRONMENT": "test", "MATCHING_DATA_KEY": TEST_DATA_KEY,
           "MATCHING_HASH_KEY": TEST_HASH_KEY, "MATCHING_LOG_LEVEL": "WARNING",
           "MATCHING_INDEX_STORE": str(store)}  # fmt: skip
    _cli(["db", "upgrade"], env)
    _cli(["demo", "--quiet"], env)  # a county of labourers
    workers: list[subprocess.Popen[str]] = []
    try:
        reports = []
        for _ in range(2):
            worker = subprocess.Popen([sys.executable, "-c", _WORKER], env=env, text=True,
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE)  # fmt: skip
            workers.append(worker)
            assert worker.stdout is not None
            reports.append(json.loads(worker.stdout.readline()))
            if len(reports) == 1:
                (written,) = store.glob("*.idx")
                inode = written.stat().st_ino
        first, second = reports
        assert first["labourers"] == second["labourers"] > 0
        assert first["mapped"] == second["mapped"] == [str(written)]
        assert [p.name for p in store.glob("*.idx")] == [written.name]
        assert written.stat().st_ino == inode  # the second published nothing
    finally:
        for worker in workers:
            worker.communicate("\n", timeout=30)


def test_a_store_that_cannot_be_written_leaves_the_worker_its_own_index(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = _labourers(session, 4)
    matcher = Matcher(Settings(database_url="sqlite://", index_store=tmp_path))

    def full(*args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(LabourerStore, "publish", full)
    snap = matcher.labourer_snapshot(session, TODAY)
    assert snap.records[people[0].id].id == people[0].id
    assert snap.main.arrays.ids.flags.writeable  # its own, not a mapping
    assert list(tmp_path.glob("*.idx")) == []


def test_a_damaged_file_is_replaced_by_a_new_build(session: Session, tmp_path: Path) -> None:
    people = _labourers(session, 4)
    settings = Settings(database_url="sqlite://", index_store=tmp_path)
    Matcher(settings).labourer_snapshot(session, TODAY)
    (written,) = tmp_path.glob("*.idx")
    damaged = tmp_path / "damaged"
    damaged.write_bytes(written.read_bytes()[:100])  # cut short (files are only ever replaced)
    os.replace(damaged, written)
    again = Matcher(settings).labourer_snapshot(session, TODAY)
    (want,), _ = labourer_profiles(session, TODAY, ids=[people[2].id])
    assert again.records[people[2].id] == want
    (rewritten,) = tmp_path.glob("*.idx")
    assert rewritten.stat().st_size > 100 and not again.main.arrays.ids.flags.writeable


def test_many_profiles_at_once_are_the_records(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = _labourers(session, 9)
    matcher = Matcher(Settings(database_url="sqlite://"))
    matcher.labourer_snapshot(session, TODAY)
    _change(session, people[:2])
    monkeypatch.setattr(read_model, "_READ_DIRECTLY_UP_TO", 3)
    asked = [people[8].id, -1, people[0].id, people[4].id, people[8].id]
    found = ReadModel(matcher, session, TODAY).profiles(asked)
    snap = matcher.labourers.snapshot
    assert snap is not None
    assert list(found) == [people[8].id, people[0].id, people[4].id]
    assert found == {i: snap.records[i] for i in found}
    assert found[people[0].id].able_and_seeking is False  # the delta's row


def test_a_half_written_file_of_a_killed_writer_is_removed(tmp_path: Path) -> None:
    """A writer killed mid-write leaves its temporary file (in /dev/shm: memory): the next
    publisher removes it, and leaves a live writer's alone."""
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    name = "labourers-2026-12-06-000000000007.idx"
    orphan = tmp_path / f".{name}.{int(dead.stdout)}.tmp"
    writing = tmp_path / f".{name}.{os.getpid()}.tmp"
    for path in (orphan, writing):
        path.write_bytes(b"half")
    assert remove_orphans(tmp_path) == [orphan]
    assert not orphan.exists() and writing.exists()
    writing.unlink()
    orphan.write_bytes(b"half")
    store = LabourerStore(tmp_path)
    table = LabourerColumns.from_profiles([])
    with store.lock():
        store.publish(table, table.pack(), 7, date(2026, 12, 6))
    assert not orphan.exists()
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".idx"] == [name]
