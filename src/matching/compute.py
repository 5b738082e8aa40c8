"""Where a plan's heavy work runs: in the calling thread, or as tasks on a Dask cluster.

The candidate search (planning.candidates) and the county-blocked solve (planning.optimizer)
split into independent tasks; an engine runs them (docs/compute.md):

- `INLINE` runs them one after the other in the calling thread: small regions, the tests'
  app, and `MATCHING_DASK_WORKERS=1`.
- `DaskEngine` runs them on Dask distributed. By default the process starts a `LocalCluster`
  on its first large plan: `dask_workers` worker processes of one thread each, on loopback,
  nothing to install or run. With `MATCHING_DASK_SCHEDULER=tcp://host:8786` it uses an
  existing cluster instead, whose workers have this package installed (they import the task
  functions by name).

Work is done in a *batch* (one plan's search and solve). What every task of the batch reads —
the post table, the region's labourers, the scoring context — is shared once per batch: sent to
every worker once, and the tasks get a handle to it. Each task's own data (its groups, its
block's pairs) is sent to a worker beside the task, not written into the task graph, which the
scheduler would have to hold. The batch's shared data is released when it ends.
"""

import importlib
import logging
import pickle
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol

logger = logging.getLogger(__name__)

Done = Callable[[int], None]  # told the index of each item as its task finishes


class Batch(Protocol):
    """Tasks that read the same shared data (see the module docstring)."""

    @property
    def workers(self) -> int:
        """How many tasks can run at once: what is worth splitting the work into."""
        ...

    def share(self, value: Any) -> Any:
        """A handle to pass to `map` in place of a value every task reads (the same handle for
        the same object within the batch)."""
        ...

    def map(
        self, fn: Callable[..., Any], items: Sequence[Any], *shared: Any, done: Done | None = None
    ) -> list[Any]:
        """`[fn(*shared_values, item) for item in items]`, in the items' order. `done(i)` is
        called as item i's task finishes; if it raises (a cancelled job), the tasks left are
        cancelled and the exception goes on."""
        ...


class Engine(Protocol):
    """Runs batches of tasks."""

    def batch(self) -> AbstractContextManager[Batch]:
        """A batch; its shared data is released at the end of the `with`."""
        ...

    def prepare(self) -> None:
        """Start what a batch will need (a cluster) in the background, without waiting."""
        ...

    def close(self) -> None:
        """Stop what the engine started (its cluster); it starts again on next use."""
        ...


# Dask starts its worker processes with MALLOC_TRIM_THRESHOLD_=65536, to hand freed memory back
# to the system at once. Setting it turns off glibc's adaptive mmap threshold, so every numpy
# temporary above 128 KB is mapped and unmapped afresh, page faults and all: the scorer's loop
# ran three times slower on a worker (0.11 s against 0.036 s for the same indexing and
# arithmetic; the same in a plain process started with that variable). The workers start
# without it (None unsets it); an existing cluster's workers should too (docs/compute.md).
# Nor do they run Dask's statistical profiler, which takes the GIL every 10 ms to sample the
# task's stack for a dashboard nobody here looks at: the search's tasks took 5-13% less time
# without it (a tenth of the province, two runs each, alternated).
WORKER_CONFIG = {
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    "distributed.worker.profile.enabled": False,
}


class InlineBatch:
    """Each task in the calling thread, in order; sharing is the value itself."""

    workers = 1

    def share(self, value: Any) -> Any:
        return value

    def map(
        self, fn: Callable[..., Any], items: Sequence[Any], *shared: Any, done: Done | None = None
    ) -> list[Any]:
        out = []
        for i, item in enumerate(items):
            out.append(fn(*shared, item))
            if done is not None:
                done(i)
        return out


class InlineEngine:
    """Every task in the calling thread."""

    @contextmanager
    def batch(self) -> Iterator[InlineBatch]:
        yield InlineBatch()

    def prepare(self) -> None:
        pass

    def close(self) -> None:
        pass


INLINE = InlineEngine()


class Aligned:
    """A value sent to Dask workers whose arrays arrive aligned.

    Dask sends numpy arrays as out-of-band buffers and rebuilds them on the worker as views
    into the received message, at whatever offset they landed: a float64 column 13 bytes past
    a 64-byte boundary is not aligned, and numpy's fancy indexing and arithmetic on it ran
    1.6 times slower on a worker (0.19 s against 0.12 s for the same loop). Pickled in-band
    with protocol 4 instead, each array is copied once into fresh, aligned memory as the worker
    loads it; the cost is one more copy of the value while it is sent.
    """

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __reduce__(self) -> tuple[Callable[[bytes], "Aligned"], tuple[bytes]]:
        return _aligned, (pickle.dumps(self.value, protocol=4),)


def _aligned(blob: bytes) -> Aligned:
    return Aligned(pickle.loads(blob))  # the service's own data, from its own cluster


def _unwrapped(fn: Callable[..., Any], *args: Any) -> Aligned:
    """A task: fn on the values of its shared data and item (a worker imports this by name).
    Its result travels back pickled in one piece too: Dask serialises a list element by
    element, and a list of 50,000 tuples (a commit's pushes) took seconds to arrive."""
    return Aligned(fn(*(a.value if isinstance(a, Aligned) else a for a in args)))


class DaskBatch:
    """Tasks on a Dask cluster, through its client."""

    def __init__(self, engine: "DaskEngine") -> None:
        self._engine = engine
        self._shared: dict[int, tuple[Any, Any]] = {}  # id → (the value, kept alive; its future)

    @property
    def _client(self) -> Any:
        return self._engine.client  # connected on first use: a small plan never starts a cluster

    @property
    def workers(self) -> int:
        return max(1, len(self._client.scheduler_info(n_workers=-1)["workers"]))

    def share(self, value: Any) -> Any:
        held = self._shared.get(id(value))
        if held is not None:
            return held[1]
        [future] = self._client.scatter([Aligned(value)], broadcast=True, hash=False)
        self._shared[id(value)] = (value, future)
        return future

    def map(
        self, fn: Callable[..., Any], items: Sequence[Any], *shared: Any, done: Done | None = None
    ) -> list[Any]:
        from distributed import as_completed

        if not items:
            return []
        data = self._client.scatter([Aligned(item) for item in items], hash=False)
        token = uuid.uuid4().hex  # keys named after the task function, for the task stream
        futures = self._client.map(
            _unwrapped,
            [fn] * len(data),
            *[[s] * len(data) for s in shared],
            data,
            key=[f"{fn.__name__}-{token}-{i}" for i in range(len(data))],
        )
        position = {future.key: i for i, future in enumerate(futures)}
        out: list[Any] = [None] * len(futures)
        try:
            for future in as_completed(futures, loop=self._client.loop):  # type: ignore[no-untyped-call]
                i = position[future.key]
                out[i] = future.result().value
                if done is not None:
                    done(i)
        finally:
            self._client.cancel([*futures, *data])
        return out

    def close(self) -> None:
        futures = [future for _, future in self._shared.values()]
        self._shared.clear()
        if futures:
            self._client.cancel(futures)


class DaskEngine:
    """Dask distributed: an existing cluster (`scheduler`, e.g. tcp://10.0.0.5:8786), or a
    LocalCluster of `workers` processes started on first use."""

    def __init__(self, scheduler: str | None = None, workers: int = 2) -> None:
        self.scheduler, self.workers = scheduler, workers
        self._lock = threading.Lock()
        self._cluster: Any = None
        self._client: Any = None

    def prepare(self) -> None:
        """Connect (or start the local cluster, and have its workers import the task code) in
        a thread of its own: a plan calls this as it starts, so that the 1-3 s this takes
        overlap with its loading instead of delaying its search."""
        if not self.connected:
            threading.Thread(target=self._connect_ahead, name="dask-connect", daemon=True).start()

    def _connect_ahead(self) -> None:
        try:
            self.connect()
        except Exception:  # the batch connects again, and its error fails the plan's job
            logger.warning("dask: could not connect ahead of the plan", exc_info=True)

    @property
    def connected(self) -> bool:
        """Whether the client is there (the cluster started, or reached)."""
        return self._client is not None

    @property
    def client(self) -> Any:
        """The client, connecting (or starting the local cluster) on first use."""
        return self.connect()

    def connect(self) -> Any:
        """The client: connect (or start the local cluster) unless done already."""
        with self._lock:
            if self._client is None:
                self._client = self._connect()
            return self._client

    def _connect(self) -> Any:
        # Imported here, not at the top: distributed takes 0.35-0.45 s to import, and most
        # processes (the CLI, a service that never plans a large region) never need it.
        import dask
        from distributed import Client, LocalCluster

        if self.scheduler is not None:
            logger.info("dask: connecting to %s", self.scheduler)
            client = Client(self.scheduler, timeout="30s", set_as_default=False)  # type: ignore[no-untyped-call]
        else:
            logger.info("dask: starting a local cluster of %d worker processes", self.workers)
            with dask.config.set(WORKER_CONFIG):
                self._cluster = LocalCluster(  # type: ignore[no-untyped-call]
                    n_workers=self.workers,
                    threads_per_worker=1,  # the scoring is numpy, the solver C++: processes scale
                    processes=True,
                    host="127.0.0.1",  # loopback only: nothing of it is reachable from outside
                    dashboard_address="127.0.0.1:0",  # its health and metrics pages, any port
                    silence_logs=logging.WARNING,
                )
            client = Client(self._cluster, set_as_default=False)  # type: ignore[no-untyped-call]
        # A fresh worker imports the task code on its first task: have them all import it now.
        client.run(importlib.import_module, "matching.planning.candidates")
        return client

    @contextmanager
    def batch(self) -> Iterator[DaskBatch]:
        batch = DaskBatch(self)
        try:
            yield batch
        finally:
            batch.close()

    def close(self) -> None:
        with self._lock:
            client, cluster = self._client, self._cluster
            self._client = self._cluster = None
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()


_ENGINES: dict[tuple[str | None, int], Engine] = {}
_ENGINES_LOCK = threading.Lock()


def engine_for(scheduler: str | None, workers: int) -> Engine:
    """The process's engine for these settings (`MATCHING_DASK_SCHEDULER`,
    `MATCHING_DASK_WORKERS`): one per process, its cluster started on first use."""
    if scheduler is None and workers <= 1:
        return INLINE
    with _ENGINES_LOCK:
        engine = _ENGINES.get((scheduler, workers))
        if engine is None:
            engine = _ENGINES[(scheduler, workers)] = DaskEngine(scheduler, workers)
        return engine


def close_engines() -> None:
    """Stop every cluster this process started (at the service's shutdown)."""
    with _ENGINES_LOCK:
        engines = list(_ENGINES.values())
    for engine in engines:
        engine.close()
