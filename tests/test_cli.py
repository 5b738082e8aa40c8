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
