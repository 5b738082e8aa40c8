"""The command line as `scripts/serve` uses it, each command a fresh process: whatever models
a command loads, the schema's tables must all be known (a post's columns name an exchange)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import TEST_DATA_KEY, TEST_HASH_KEY


def _run(args: list[str], database: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MATCHING_DATABASE_URL": f"sqlite:///{database}",
           "MATCHING_ENVIRONMENT": "test", "MATCHING_DATA_KEY": TEST_DATA_KEY,
           "MATCHING_HASH_KEY": TEST_HASH_KEY, "MATCHING_LOG_LEVEL": "WARNING"}  # fmt: skip
    return subprocess.run([sys.executable, "-m", "matching.cli", *args], env=env,
                          capture_output=True, text=True, timeout=300, check=False)  # fmt: skip


def test_a_fresh_database_is_migrated_and_gets_its_demo_and_a_key(tmp_path: Path) -> None:
    database = tmp_path / "matching.db"
    assert _run(["db", "upgrade"], database).returncode == 0
    demo = _run(["demo", "--quiet"], database)
    assert demo.returncode == 0, demo.stderr
    assert demo.stdout.strip().startswith("mk_")
    listed = _run(["keys", "list"], database)
    assert listed.returncode == 0 and "admin" in listed.stdout
    once = _run(["webhooks", "deliver", "--once"], database)
    assert once.returncode == 0, once.stderr
    assert "tried 0 notice(s)" in once.stderr


def test_serve_with_several_workers_gives_them_one_index_store(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`matching serve --workers N` makes the directory its workers share the labourer index
    in (they read MATCHING_INDEX_STORE), and removes it when the service stops."""
    from matching import cli
    from matching.settings import Settings

    monkeypatch.delenv("MATCHING_INDEX_STORE", raising=False)
    settings = Settings(database_url="sqlite://")
    with cli._index_store(settings, workers=2):
        shared = Path(os.environ["MATCHING_INDEX_STORE"])
        assert shared.is_dir() and shared.name.startswith("matching-index-")
    assert "MATCHING_INDEX_STORE" not in os.environ and not shared.exists()
    with cli._index_store(settings, workers=1):  # one worker: nothing to share
        assert "MATCHING_INDEX_STORE" not in os.environ
    chosen = Settings(database_url="sqlite://", index_store=tmp_path)
    with cli._index_store(chosen, workers=4):  # a directory chosen already is left alone
        assert "MATCHING_INDEX_STORE" not in os.environ
    assert tmp_path.is_dir()
    monkeypatch.setattr(cli, "SHM_ROOM", 2**62)  # a container's small /dev/shm: the temp dir
    with cli._index_store(settings, workers=2):
        assert not os.environ["MATCHING_INDEX_STORE"].startswith("/dev/shm")


def _dead_pid() -> int:
    """The id of a process that has finished (and been reaped)."""
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    return int(child.stdout)


def test_a_killed_services_index_store_is_removed_at_the_next_start(tmp_path: Path) -> None:
    """A service killed before it removed its store directory (kill -9, out of memory) left
    its index in /dev/shm: the next `serve` removes it, and keeps those of services that
    still run and directories that are not a service's."""
    from matching import cli

    stale, live, foreign = (tmp_path / f"matching-index-{n}" for n in ("stale", "live", "x"))
    for directory, owner in ((stale, str(_dead_pid())), (live, str(os.getpid())),
                             (foreign, None)):  # fmt: skip
        directory.mkdir()
        (directory / "labourers-2026-12-06-000000000001.idx").write_bytes(b"\0" * 1024)
        if owner is not None:
            (directory / cli.OWNER).write_text(owner)
    (tmp_path / "other").mkdir()
    assert cli.remove_stale_stores(tmp_path) == [stale]
    assert not stale.exists() and live.is_dir() and foreign.is_dir()
    assert (tmp_path / "other").is_dir()


def test_serve_writes_its_own_id_into_the_store_it_makes(monkeypatch: pytest.MonkeyPatch) -> None:
    from matching import cli
    from matching.settings import Settings

    monkeypatch.delenv("MATCHING_INDEX_STORE", raising=False)
    with cli._index_store(Settings(database_url="sqlite://"), workers=2):
        shared = Path(os.environ["MATCHING_INDEX_STORE"])
        assert (shared / cli.OWNER).read_text() == str(os.getpid())
