"""A damaged, foreign, read-only or vanishing cache changes nothing but speed: results are
identical to `--no-cache`, with at most a warning, and `check` never raises because of it."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from stackwise import Settings
from stackwise.engine import cache as cache_module
from stackwise.engine import runner
from stackwise.engine.cache import FACT_SHARDS, Cache, fact_shard

from .conftest import API_BOTH_LINE, keyed, run_check


@pytest.fixture
def project(small_project: Path) -> Path:
    """Ten files are enough here, and these tests run the project many times."""
    return small_project


FACTS = [f"facts{i:02d}" for i in range(FACT_SHARDS)]  # the facts, in shards


def _cache_files(folder: Path) -> dict[str, Path]:
    return {p.name.split("-", 1)[0]: p for p in folder.glob("*.bin")}


def _write_facts(folder: Path, key: str, facts: Any) -> None:
    """`facts` as the content of every shard."""
    for kind in FACTS:
        Cache(folder, key).write(kind, facts)


def _baseline(root: Path, settings: Settings | None = None) -> list[Any]:
    return keyed(run_check(root, settings=settings).findings)


def _cached(root: Path, folder: Path, **kw: Any) -> Any:
    return run_check(root, use_cache=True, cache_dir=folder, **kw)


def _warm_cache(project: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "cache"
    first = _cached(project, folder)
    assert first.analysed == first.files_checked
    assert set(_cache_files(folder)) == {"index", "rules", *FACTS}
    return folder


def _assert_same(project: Path, folder: Path, expected: list[Any], max_warnings: int = 2) -> Any:
    result = _cached(project, folder)
    assert keyed(result.findings) == expected
    assert len(result.warnings) <= max_warnings, result.warnings
    # and the run after that repairs the cache: warm, silent, same answer
    again = _cached(project, folder)
    assert keyed(again.findings) == expected
    assert again.warnings == [] and again.analysed == 0
    return result


# -- damaged files ---------------------------------------------------------------------------------


def _truncate(p: Path) -> None:
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])


def _garbage(p: Path) -> None:
    p.write_bytes(os.urandom(p.stat().st_size))


def _empty(p: Path) -> None:
    p.write_bytes(b"")


def _flip_a_byte(p: Path) -> None:
    data = bytearray(p.read_bytes())
    data[len(data) // 2] ^= 0xFF
    p.write_bytes(bytes(data))


def _header_only(p: Path) -> None:
    p.write_bytes(p.read_bytes()[:18])


def _delete(p: Path) -> None:
    p.unlink()


def _folder_instead(p: Path) -> None:
    p.unlink()
    p.mkdir()


DAMAGE: dict[str, Callable[[Path], None]] = {
    "truncated": _truncate, "garbage": _garbage, "empty": _empty, "bit-flip": _flip_a_byte,
    "header-only": _header_only, "deleted": _delete, "a-folder": _folder_instead,
}


@pytest.mark.parametrize("which", ["index", "facts", "rules", "all"])
@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_damaged_cache_files(project: Path, tmp_path: Path, which: str, damage: str) -> None:
    expected = _baseline(project)
    folder = _warm_cache(project, tmp_path)
    (project / "shop" / "util.py").write_text(  # a change, so the facts are needed too
        (project / "shop" / "util.py").read_text() + "\n\nX = 1\n")
    expected = _baseline(project)
    files = _cache_files(folder)
    kinds = {"index": ["index"], "facts": FACTS, "rules": ["rules"]}
    for kind in (["index", *FACTS, "rules"] if which == "all" else kinds[which]):
        DAMAGE[damage](files[kind])
    result = _cached(project, folder)
    assert keyed(result.findings) == expected
    assert len(result.warnings) <= 2, result.warnings
    if damage == "a-folder":  # cannot be replaced by a file: a warning every run, same answer
        assert keyed(_cached(project, folder).findings) == expected
        return
    again = _cached(project, folder)
    assert keyed(again.findings) == expected and again.analysed == 0 and again.warnings == []


# -- well-formed files of the wrong shape (another build under the same key) -----------------------


def _key(root: Path, settings: Settings | None = None) -> str:
    return runner._cache_key(settings or Settings(source=str(root / "pyproject.toml")))


FOREIGN_INDEXES: dict[str, Any] = {
    "not-a-dict": [1, 2, 3],
    "files-is-a-list": {"files": [1], "project": None},
    "entries-too-short": {"files": {"shop/api.py": [1, 2, 3]}},
    "entry-wrong-types": {"files": {"shop/api.py": ["x", "y", 3, "shop.api", False, [], {}]}},
    "finding-wrong-shape": {"files": {"shop/api.py": [0, 0, "abc", "shop.api", False, [("x",)],
                                                      {}]}},
    "project-wrong-shape": {"files": {}, "project": ["fp", {"shop/api.py": [[1]]}]},
    "project-not-a-dict": {"files": {}, "project": ["fp", 5]},
    "severity-unknown": {"files": {}, "project": ["fp", {"shop/api.py": [
        [1, 1, 1, 1, "ASY100", "m", "fatal", "", []]]}]},
    "suppress-wrong-shape": {"files": {"shop/api.py": [0, 0, "abc", "shop.api", False, [],
                                                       {"1": 5}]}},
}


@pytest.mark.parametrize("shape", sorted(FOREIGN_INDEXES))
def test_index_of_another_shape_under_our_key(project: Path, tmp_path: Path, shape: str) -> None:
    expected = _baseline(project)
    folder = tmp_path / "cache"
    Cache(folder, _key(project)).write("index", FOREIGN_INDEXES[shape])
    _assert_same(project, folder, expected)


def test_entries_with_matching_stat_but_another_shape(project: Path, tmp_path: Path) -> None:
    """The worst case: an entry whose stat data matches the file, from a build that stored
    findings differently. It must be dropped, not unpacked."""
    expected = _baseline(project)
    folder = tmp_path / "cache"
    st = (project / "shop" / "api.py").stat()
    entry = [st.st_mtime_ns, st.st_size, "digest", "shop.api", False, [(1, 2, "ASY100")], {}]
    Cache(folder, _key(project)).write("index", {"files": {"shop/api.py": entry}})
    _assert_same(project, folder, expected)


@pytest.mark.parametrize("facts", [[1, 2], {"shop/api.py": "x"}, {"shop/api.py": [None, None]},
                                   {"shop/util.py": ["d", {"module": 1}]}])
def test_facts_of_another_shape(project: Path, tmp_path: Path, facts: Any) -> None:
    expected = _baseline(project)
    folder = _warm_cache(project, tmp_path)
    _write_facts(folder, _key(project), facts)
    util = project / "shop" / "util.py"
    util.write_text(util.read_text() + "\n")
    _assert_same(project, folder, expected)


def test_facts_with_the_right_digest_but_broken_content(project: Path, tmp_path: Path) -> None:
    expected = _baseline(project)
    folder = _warm_cache(project, tmp_path)
    key = _key(project)
    for kind in FACTS:
        facts = Cache(folder, key).read(kind)
        assert isinstance(facts, dict)
        for display, (digest, _raw) in list(facts.items()):
            facts[display] = [digest, {"module": display, "functions": [("bad",)]}]
        Cache(folder, key).write(kind, facts)
    util = project / "shop" / "util.py"
    util.write_text(util.read_text() + "\n")
    _assert_same(project, folder, expected)


def test_cache_of_another_stackwise_version(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = _baseline(project)
    folder = _warm_cache(project, tmp_path)
    monkeypatch.setattr(runner, "__version__", "999.0")
    result = _cached(project, folder)
    assert keyed(result.findings) == expected
    assert result.analysed == result.files_checked  # nothing taken from the old version's cache
    monkeypatch.undo()
    assert _cached(project, folder).analysed == 0  # each version keeps its own cache


def test_cache_written_by_other_code_of_the_same_version(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a development install the version stays the same while rules change: the cache key
    includes a fingerprint of stackwise's own files."""
    folder = _warm_cache(project, tmp_path)
    monkeypatch.setattr(runner, "_code_fingerprint", lambda: "edited-rules")
    assert _cached(project, folder).analysed == project_size(project)


def project_size(root: Path) -> int:
    return len(list(root.rglob("*.py")))


def test_cache_under_another_config(project: Path, tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    plain = Settings()
    configured = Settings(offload_wrappers=("shop.services.both",),
                          blocking_functions={"shop.util.pure": "pure() is slow: offload it"})
    for settings in (plain, configured, plain, configured):
        expected = _baseline(project, settings)
        result = _cached(project, folder, settings=settings)
        assert keyed(result.findings) == expected
    assert _baseline(project, plain) != _baseline(project, configured)


def test_only_filters_change_and_the_cache_is_still_used(project: Path, tmp_path: Path) -> None:
    folder = _warm_cache(project, tmp_path)
    settings = Settings(per_file_ignores={"shop/gen/*": ("ASY",)})
    result = _cached(project, folder, settings=settings)
    assert keyed(result.findings) == _baseline(project, settings)
    assert result.analysed == 0


def test_each_selection_keeps_its_own_cache(project: Path, tmp_path: Path) -> None:
    """Rules that are not selected do not run, so a selection has a cache of its own: the
    first run with it analyses, the next is warm, and the full cache is still there."""
    folder = _warm_cache(project, tmp_path)
    for settings in (Settings(select=("ASY101",)), Settings(ignore=("ASY100",))):
        first = _cached(project, folder, settings=settings)
        again = _cached(project, folder, settings=settings)
        assert keyed(first.findings) == keyed(again.findings) == _baseline(project, settings)
        assert first.analysed > 0 and again.analysed == 0
    assert _cached(project, folder).analysed == 0


# -- a cache folder that cannot be written or goes away --------------------------------------------


def test_cache_folder_under_a_file(project: Path, tmp_path: Path) -> None:
    expected = _baseline(project)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = _cached(project, blocker / "cache")
    assert keyed(result.findings) == expected
    assert 1 <= len(result.warnings) <= 3 and all("cache" in w for w in result.warnings)


def test_cache_folder_is_a_file(project: Path, tmp_path: Path) -> None:
    expected = _baseline(project)
    blocker = tmp_path / "cache"
    blocker.write_text("not a folder")
    result = _cached(project, blocker)
    assert keyed(result.findings) == expected and result.warnings
    assert blocker.read_text() == "not a folder"


def test_read_only_cache_folder(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # root writes through permission bits, so a read-only file system is simulated at the
    # calls that write (a real chmod test runs below for other users)
    expected = _baseline(project)
    folder = _warm_cache(project, tmp_path)
    (project / "shop" / "util.py").write_text("def pure(x: int) -> int:\n    return x\n")
    expected = _baseline(project)

    def read_only(*args: Any, **kw: Any) -> Any:
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(cache_module.tempfile, "mkstemp", read_only)
    result = _cached(project, folder)
    assert keyed(result.findings) == expected
    assert len(result.warnings) == 1 and "Read-only file system" in result.warnings[0]


@pytest.mark.skipif(os.name == "nt" or os.geteuid() == 0, reason="root ignores permission bits")
def test_read_only_cache_folder_real_permissions(project: Path, tmp_path: Path) -> None:
    folder = _warm_cache(project, tmp_path)
    (project / "shop" / "util.py").write_text("def pure(x: int) -> int:\n    return x\n")
    expected = _baseline(project)
    folder.chmod(0o555)
    try:
        result = _cached(project, folder)
        assert keyed(result.findings) == expected and len(result.warnings) <= 2
    finally:
        folder.chmod(0o755)


@pytest.mark.parametrize("when", ["before-analysis", "before-linking"])
def test_cache_folder_vanishes_mid_run(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, when: str
) -> None:
    folder = _warm_cache(project, tmp_path)
    util = project / "shop" / "util.py"
    util.write_text(util.read_text() + "\n")
    expected = _baseline(project)
    if when == "before-analysis":
        real = runner._Workers.run

        def vanish_then_analyse(*args: Any, **kw: Any) -> Any:
            shutil.rmtree(folder, ignore_errors=True)
            return real(*args, **kw)

        monkeypatch.setattr(runner._Workers, "run", vanish_then_analyse)
    else:
        real_link = runner._run_project_rules

        def vanish_then_link(*args: Any, **kw: Any) -> Any:
            shutil.rmtree(folder, ignore_errors=True)
            return real_link(*args, **kw)

        monkeypatch.setattr(runner, "_run_project_rules", vanish_then_link)
    result = _cached(project, folder)
    assert keyed(result.findings) == expected and len(result.warnings) <= 2
    monkeypatch.undo()
    assert keyed(_cached(project, folder).findings) == expected


def test_stale_temporary_files_are_harmless(project: Path, tmp_path: Path) -> None:
    expected = _baseline(project)
    folder = _warm_cache(project, tmp_path)
    for name in _cache_files(folder).values():
        (folder / f".{name.name}.abc.tmp").write_bytes(b"half a write")
    _assert_same(project, folder, expected, max_warnings=0)


# -- internal errors are never served from the cache -----------------------------------------------


def test_verbose_tracebacks_do_not_leak_through_the_cache(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from stackwise.rules._api import Rule

    class Broken(Rule):
        code = "SWX900"
        name = "broken"
        summary = "always fails"
        node_types = (__import__("ast").Module,)

        def visit(self, node: Any, ctx: Any) -> None:
            raise RuntimeError("boom")

    from stackwise.rules.registry import FILE, manifest, ref

    refs = (*manifest(), ref(Broken, FILE))
    monkeypatch.setattr(runner, "_manifest", lambda store: refs)
    folder = tmp_path / "cache"
    quiet = _cached(project, folder)
    loud = _cached(project, folder, verbose=True)
    quiet_again = _cached(project, folder)
    sw001 = [f for f in loud.findings if f.code == "SW001"]
    assert sw001 and all("Traceback" in f.message for f in sw001)
    assert not any("Traceback" in f.message for f in quiet.findings + quiet_again.findings)
    assert keyed(quiet.findings) == keyed(quiet_again.findings)


def test_the_cache_never_holds_code(project: Path, tmp_path: Path) -> None:
    import marshal
    import types

    folder = _warm_cache(project, tmp_path)
    for path in _cache_files(folder).values():
        blob = path.read_bytes()
        value = marshal.loads(blob[18 + 32:])

        def walk(v: Any) -> None:
            assert not isinstance(v, types.CodeType)
            if isinstance(v, dict):
                for k, x in v.items():
                    walk(k)
                    walk(x)
            elif isinstance(v, (list, tuple, set, frozenset)):
                for x in v:
                    walk(x)

        walk(value)


def test_transitive_findings_survive_a_cold_facts_cache(project: Path, tmp_path: Path) -> None:
    folder = _warm_cache(project, tmp_path)
    for kind in FACTS:
        _cache_files(folder)[kind].unlink()
    (project / "shop" / "api.py").write_text((project / "shop" / "api.py").read_text() + "\n")
    result = _cached(project, folder)
    assert ("shop/api.py", API_BOTH_LINE, "ASY101") in {
        (f.path, f.line, f.code) for f in result.findings}
    assert keyed(result.findings) == _baseline(project)



def test_an_edit_rewrites_the_facts_of_its_shard_only(project: Path, tmp_path: Path) -> None:
    folder = _warm_cache(project, tmp_path)
    util = project / "shop" / "util.py"
    util.write_text(util.read_text() + "\n\nX = 1\n")
    before = {k: p.stat().st_mtime_ns for k, p in _cache_files(folder).items() if k in FACTS}
    time.sleep(0.01)
    result = _cached(project, folder)
    assert keyed(result.findings) == _baseline(project) and result.analysed == 1
    after = {k: p.stat().st_mtime_ns for k, p in _cache_files(folder).items() if k in FACTS}
    assert [k for k in FACTS if after[k] != before[k]] == [FACTS[fact_shard("shop/util.py")]]
    api = project / "shop" / "api.py"  # another edit: the facts of every shard are read
    api.write_text(api.read_text() + "\n")
    again = _cached(project, folder)
    assert keyed(again.findings) == _baseline(project) and again.analysed == 1


# -- old cache files are cleaned up ---------------------------------------------------------------


def test_stale_files_of_other_keys_and_killed_runs_are_removed(project: Path, tmp_path: Path) -> None:
    from stackwise.engine.cache import STALE_AFTER_S, TMP_STALE_AFTER_S

    folder = _warm_cache(project, tmp_path)
    ours = set(folder.glob("*.bin"))
    old = time.time() - STALE_AFTER_S - 60
    other_key = folder / "index-0123456789abcdef.bin"
    recent_key = folder / "facts-fedcba9876543210.bin"
    killed = folder / ".index-x.bin.abc.tmp"
    fresh_tmp = folder / ".facts-x.bin.def.tmp"
    for p in (other_key, recent_key, killed, fresh_tmp):
        p.write_bytes(b"x")
    os.utime(other_key, (old, old))
    os.utime(killed, (time.time() - TMP_STALE_AFTER_S - 60,) * 2)
    (project / "shop" / "util.py").write_text((project / "shop" / "util.py").read_text() + "\n")
    _cached(project, folder)  # something changed: the index is written, then the folder pruned
    left = set(folder.iterdir())
    assert ours <= left and recent_key in left and fresh_tmp in left
    assert other_key not in left and killed not in left
    assert (folder / "CACHEDIR.TAG").exists()
