"""The tests mirror the source tree: tests/<package>/ for src/matching/<package>/,
tests/test_<module>.py for a top-level module, and tests/foundation/ for what the whole
application does (the problem details, the OpenAPI document, settings, concurrency, the
browser)."""

from pathlib import Path

TESTS = Path(__file__).parent
SOURCE = TESTS.parent / "src" / "matching"
CROSS_CUTTING = {"foundation"}


def test_every_test_folder_is_a_source_package() -> None:
    folders = {p.name for p in TESTS.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))}
    strays = {f for f in folders - CROSS_CUTTING if not (SOURCE / f / "__init__.py").exists()}
    assert not strays, f"test folders without a source package: {sorted(strays)}"


def test_every_top_level_test_file_is_a_source_module() -> None:
    files = {p.stem.removeprefix("test_") for p in TESTS.glob("test_*.py")} - {"layout"}
    strays = {f for f in files if not (SOURCE / f"{f}.py").exists()}
    assert not strays, f"top-level test files without a module: {sorted(strays)}"
