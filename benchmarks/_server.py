"""Run the real service under uvicorn in a subprocess on a free loopback port, for benchmarks."""

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psutil
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
BENCH_ENV = {
    "MATCHING_ENVIRONMENT": "test",
    "MATCHING_DATA_KEY": "benchmark-data-key-0123456789abcdefghijklmnop",
    "MATCHING_HASH_KEY": "benchmark-hash-key-0123456789abcdefghijklmnop",
    "MATCHING_LOG_LEVEL": "WARNING",
    "MATCHING_MAX_BODY_BYTES": str(64 * 1024 * 1024),
    # A benchmark measures the service, not its per-key budgets (0: no limit).
    **{
        f"MATCHING_{kind}__{role}": "0"
        for kind in ("RATE_LIMITS", "BULK_RATE_LIMITS")
        for role in ("ADMIN", "STAFF", "AGENCY", "APP")
    },
}


@contextmanager
def fresh_database(backend: str, workdir: Path, name: str) -> Iterator[str]:
    """An empty database: a SQLite file, or a new database on the given PostgreSQL server."""
    if backend == "sqlite":
        path = workdir / f"{name}.db"
        path.unlink(missing_ok=True)
        yield f"sqlite:///{path}"
        return
    admin = create_engine(backend, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(backend).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _cli(args: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "matching.cli", *args],
        env=env, cwd=ROOT, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return result.stdout.strip()


def migrate(database_url: str) -> dict[str, str]:
    """Bring the database to the newest schema; return the service's environment for it."""
    env = {**os.environ, **BENCH_ENV, "MATCHING_DATABASE_URL": database_url}
    _cli(["db", "upgrade"], env)
    return env


@contextmanager
def running_service(
    database_url: str, workers: int = 1, source: Path | None = None
) -> Iterator[tuple[str, dict[str, str], dict[str, str]]]:
    """Migrate, start uvicorn (`workers` processes), yield (base URL, env, admin headers); stop
    it afterwards. `source`: another checkout's `src` to run the service from (an earlier
    revision, whose schema may be older: it is only asked to be alive, /healthz)."""
    env = migrate(database_url)
    admin_key = _cli(["keys", "create", "--name", "bench admin", "--role", "admin"], env)
    ready = "/readyz"
    if source is not None:
        env = {**env, "PYTHONPATH": f"{source}{os.pathsep}{env.get('PYTHONPATH', '')}"}
        ready = "/healthz"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "matching.cli", "serve", "--port", str(port),
         "--workers", str(workers)],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}{ready}", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("service did not start")
            time.sleep(0.2)
        yield base, env, {"Authorization": f"Bearer {admin_key}"}
    finally:
        process.terminate()
        process.wait(timeout=20)


def service_pid(base: str) -> int:
    """The service's own process (uvicorn's supervisor when it runs several workers)."""
    port = int(base.rsplit(":", 1)[1])
    for connection in psutil.net_connections("tcp"):
        listening = connection.status == "LISTEN" and connection.pid is not None
        if listening and connection.laddr and connection.laddr.port == port:
            process = psutil.Process(connection.pid)
            parent = process.parent()
            is_master = parent is not None and "matching.cli" in " ".join(parent.cmdline())
            return parent.pid if is_master and parent is not None else process.pid
    raise RuntimeError("service process not found")


@contextmanager
def worktree(revision: str) -> Iterator[Path]:
    """A detached checkout of `revision`, removed afterwards."""
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", str(tree), revision], cwd=ROOT,
                       check=True, capture_output=True)  # fmt: skip
        try:
            yield tree
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT,
                           check=False, capture_output=True)  # fmt: skip
