"""Warm runs: an unchanged tree parses no file, a change re-parses only the changed file, and
findings in other files that depend on it (through calls across modules) update all the same.
`CheckResult.analysed` counts the files parsed by a run."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from stackwise import Settings

from .conftest import API_BOTH_LINE, keyed, run_check

BLOCKING_UTIL = "    with open(path) as fh:\n        return fh.read()\n"
HARMLESS_UTIL = "    return path\n"


def _warm(project: Path, cache: Path, **kw: Any) -> Any:
    return run_check(project, use_cache=True, cache_dir=cache, **kw)


def _transitive(result: Any) -> set[tuple[str, int]]:
    return {(f.path, f.line) for f in result.findings if f.code == "ASY101"}


def _same_as_cold(project: Path, result: Any, settings: Settings | None = None) -> None:
    assert keyed(result.findings) == keyed(run_check(project, settings=settings).findings)


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache"


def test_unchanged_tree_parses_nothing(project: Path, cache: Path) -> None:
    cold = _warm(project, cache)
    assert cold.analysed == cold.files_checked == 35
    for jobs in (1, 2, 1):
        warm = _warm(project, cache, jobs=jobs)
        assert warm.analysed == 0
        assert keyed(warm.findings) == keyed(cold.findings)


def test_one_change_reparses_one_file_and_updates_transitive_findings(
    project: Path, cache: Path
) -> None:
    util = project / "shop" / "util.py"
    first = _warm(project, cache)
    assert ("shop/api.py", API_BOTH_LINE) in _transitive(first)
    assert ("shop/gen/m017.py", 17) in _transitive(first)

    # the blocking call at the bottom of every chain goes away: so does every ASY101 above it
    util.write_text(util.read_text().replace(BLOCKING_UTIL, HARMLESS_UTIL))
    second = _warm(project, cache)
    assert second.analysed == 1
    assert _transitive(second) == set()
    _same_as_cold(project, second)

    # and comes back
    util.write_text(util.read_text().replace(HARMLESS_UTIL, BLOCKING_UTIL))
    third = _warm(project, cache)
    assert third.analysed == 1
    assert keyed(third.findings) == keyed(first.findings)

    # a change in the middle of a chain, in another module
    services = project / "shop" / "services.py"
    services.write_text(services.read_text().replace(
        "    return settings_a() + settings_b()\n", '    return "no config"\n'))
    fourth = _warm(project, cache)
    assert fourth.analysed == 1
    assert ("shop/api.py", API_BOTH_LINE) not in _transitive(fourth)
    assert ("shop/gen/m017.py", 17) in _transitive(fourth)  # its chain does not go that way
    _same_as_cold(project, fourth)
    assert _warm(project, cache).analysed == 0


def test_touch_without_change_parses_nothing(project: Path, cache: Path) -> None:
    first = _warm(project, cache)
    later = time.time() + 10
    for path in project.rglob("*.py"):
        os.utime(path, (later, later))
    warm = _warm(project, cache)
    assert warm.analysed == 0 and keyed(warm.findings) == keyed(first.findings)
    assert _warm(project, cache).analysed == 0


def test_same_size_same_mtime_edit_right_after_a_run_is_seen(project: Path, cache: Path) -> None:
    """A file rewritten within the file system's timestamp granularity, with the same size, looks
    unchanged by stat alone. Files that were fresh when read are re-hashed next time."""
    api = project / "shop" / "api.py"
    before = _warm(project, cache)
    st = api.stat()
    text = api.read_text()
    api.write_text(text.replace("time.sleep(1)", "time.sleep(2)"))
    os.utime(api, ns=(st.st_atime_ns, st.st_mtime_ns))  # same size, same mtime
    assert api.stat().st_size == st.st_size
    after = _warm(project, cache)
    assert after.analysed == 1
    assert keyed(after.findings) == keyed(before.findings)  # findings equal, content re-read
    # an edit that changes the findings, also same size and mtime
    api.write_text(text.replace("    time.sleep(1)\n", "    time.slept(1)\n"))
    os.utime(api, ns=(st.st_atime_ns, st.st_mtime_ns))
    edited = _warm(project, cache)
    assert ("shop/api.py", 11, "ASY100") not in {(f.path, f.line, f.code) for f in edited.findings}
    _same_as_cold(project, edited)


def test_new_and_deleted_files(project: Path, cache: Path) -> None:
    _warm(project, cache)
    extra = project / "shop" / "late.py"
    extra.write_text("from shop.services import both\n\n\nasync def late() -> str:\n"
                     "    return both()\n")
    added = _warm(project, cache)
    assert added.analysed == 1 and ("shop/late.py", 5) in _transitive(added)
    _same_as_cold(project, added)

    (project / "shop" / "util.py").unlink()  # the bottom of every chain
    removed = _warm(project, cache)
    assert removed.analysed == 0 and _transitive(removed) == set()
    _same_as_cold(project, removed)


def test_package_structure_change_renames_modules(project: Path, cache: Path) -> None:
    _warm(project, cache)
    (project / "shop" / "gen" / "__init__.py").unlink()  # m000.py.. are no longer shop.gen.*
    result = _warm(project, cache)
    assert result.analysed == 30  # their module names changed, so their facts did
    _same_as_cold(project, result)


def test_settings_change_reanalyses(project: Path, cache: Path) -> None:
    _warm(project, cache)
    settings = Settings(blocking_functions={"shop.util.pure": "pure() is slow here"})
    changed = _warm(project, cache, settings=settings)
    assert changed.analysed == changed.files_checked
    _same_as_cold(project, changed, settings)
    assert _warm(project, cache, settings=settings).analysed == 0
    assert _warm(project, cache).analysed == 0  # each configuration keeps its own index


def test_checking_part_of_the_tree_then_all_of_it(project: Path, cache: Path) -> None:
    part = run_check(project, [project / "shop" / "api.py"], use_cache=True, cache_dir=cache)
    assert part.files_checked == 1
    whole = _warm(project, cache)
    _same_as_cold(project, whole)
    again = run_check(project, [project / "shop" / "api.py"], use_cache=True, cache_dir=cache)
    assert again.analysed == 0
    assert keyed(again.findings) == keyed(part.findings)
