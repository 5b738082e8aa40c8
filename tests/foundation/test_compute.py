"""The compute engines: a batch's tasks on a two-worker Dask cluster on loopback answer as the
calling thread does, share data once, report each task's end, and stop on a cancelled job."""

import operator
import os
import time

import dask
import numpy as np
import pytest

from matching.compute import INLINE, DaskEngine, engine_for
from matching.jobs.progress import Cancelled


def test_a_dask_batch_maps_in_order_with_shared_values(dask_engine: DaskEngine) -> None:
    table = np.arange(1_000_000, dtype=np.int64)  # large: sent to the workers, not in the graph
    items = list(range(0, 1_000_000, 99_999))
    with dask_engine.batch() as batch, INLINE.batch() as inline:
        assert batch.workers == 2
        shared = batch.share(table)
        assert batch.share(table) is shared  # one copy per batch, however often it is asked
        assert inline.share(table) is table
        done: list[int] = []
        got = batch.map(operator.getitem, items, shared, done=done.append)
        assert got == inline.map(operator.getitem, items, table) == items
        assert sorted(done) == list(range(len(items)))
        assert batch.map(operator.getitem, [], shared) == []


def test_a_task_error_reaches_the_caller(dask_engine: DaskEngine) -> None:
    with dask_engine.batch() as batch, pytest.raises(ZeroDivisionError):
        batch.map(operator.truediv, [1, 0, 2], 1)


def test_a_cancelled_job_stops_the_tasks_left(dask_engine: DaskEngine) -> None:
    """`done` raising (a job cancelled) cancels what has not run: eight two-second tasks on two
    workers would take eight seconds; the batch stops after the first two or four."""

    def stop(_: int) -> None:
        raise Cancelled()

    started = time.perf_counter()
    with dask_engine.batch() as batch, pytest.raises(Cancelled):
        batch.map(time.sleep, [2.0] * 8, done=stop)
    assert time.perf_counter() - started < 6.0
    with dask_engine.batch() as batch:  # the cluster goes on working
        assert batch.map(operator.neg, [1, 2]) == [-1, -2]


def test_workers_get_aligned_arrays_and_run_untuned_and_unprofiled(dask_engine: DaskEngine) -> None:
    """Shared arrays arrive aligned (sent as it is, this one lands 13 bytes past a 64-byte
    boundary), and the workers start without MALLOC_TRIM_THRESHOLD_ and without Dask's
    statistical profiler: each made the scorer slower on a worker (compute.Aligned,
    compute.WORKER_CONFIG). The tasks are library functions: a worker cannot import the tests."""
    column = np.linspace(0.0, 1.0, 100_001)[1:]  # float64, 800 KB
    with dask_engine.batch() as batch:
        [shared] = batch.map(getattr, ["__array_interface__"], batch.share(column))
        [trim] = batch.map(os.getenv, ["MALLOC_TRIM_THRESHOLD_"])
        [profiled] = batch.map(dask.config.get, ["distributed.worker.profile.enabled"])
    assert shared["data"][0] % column.dtype.alignment == 0
    assert trim is None
    assert profiled is False


def test_the_settings_choose_the_engine() -> None:
    assert engine_for(None, 1) is INLINE  # one worker: no cluster, the job's own thread
    local = engine_for(None, 3)
    assert isinstance(local, DaskEngine) and local.workers == 3 and local.scheduler is None
    assert engine_for(None, 3) is local  # one per process, started on first use only
    remote = engine_for("tcp://127.0.0.1:8786", 3)
    assert isinstance(remote, DaskEngine) and remote.scheduler == "tcp://127.0.0.1:8786"


def test_prepare_starts_the_cluster_in_the_background() -> None:
    engine = DaskEngine(workers=1)
    try:
        engine.prepare()  # returns at once; the cluster starts in a thread of its own
        deadline = time.monotonic() + 60
        while not engine.connected and time.monotonic() < deadline:
            time.sleep(0.1)
        assert engine.connected
        with engine.batch() as batch:
            assert batch.workers == 1
            assert batch.map(operator.neg, [3]) == [-3]
    finally:
        engine.close()
    INLINE.prepare()  # nothing to start
