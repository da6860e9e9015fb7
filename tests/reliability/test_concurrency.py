"""Two `stackwise check` processes started together on the same tree and cache folder both finish
with the right results (the cache is written to temporary files renamed into place), and the
cache they leave behind is sound."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import API_BOTH_LINE, run_cli, start_cli


def _both(project: Path, cache: Path, *extra: str) -> list[bytes]:
    procs = [start_cli(".", "--format", "json", "--cache-dir", cache, "-v", *extra, cwd=project)
             for _ in range(2)]
    outs = []
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 1, err.decode(errors="replace")
        assert b"Traceback" not in err and b"warning" not in err, err.decode(errors="replace")
        outs.append(out)
    return outs


def _reference(project: Path) -> bytes:
    proc = run_cli(".", "--format", "json", "--no-cache", cwd=project)
    assert proc.returncode == 1
    return proc.stdout


@pytest.mark.slow
def test_two_processes_on_one_cache(project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    reference = _reference(project)
    assert b'"ASY101"' in reference

    # both cold, two workers each: they race to write the same cache files
    assert _both(project, cache, "-j", "2") == [reference, reference]
    # both warm
    assert _both(project, cache) == [reference, reference]
    # one file changed: both re-analyse it, and the transitive finding goes away in both
    util = project / "shop" / "util.py"
    util.write_text(util.read_text().replace("    with open(path) as fh:\n        return fh.read()",
                                             "    return path"))
    changed = _reference(project)
    assert changed != reference and f'"line": {API_BOTH_LINE}'.encode() not in changed
    assert _both(project, cache, "-j", "1") == [changed, changed]
    # and what they left behind is a sound, complete cache
    proc = run_cli(".", "--format", "json", "--cache-dir", cache, "-v", cwd=project)
    assert proc.stdout == changed
    assert b" 0 analysed" in proc.stderr, proc.stderr.decode()
    assert not list(cache.glob("*.tmp")), "no temporary files left behind"


@pytest.mark.slow
def test_many_processes_with_edits_in_between(project: Path, tmp_path: Path) -> None:
    """Four processes at once, twice, with an edit between the rounds: every one of them gives
    the answer for the tree it saw."""
    cache = tmp_path / "cache"
    api = project / "shop" / "api.py"
    for round_ in range(2):
        if round_:
            api.write_text(api.read_text() + "\n\nasync def extra() -> None:\n"
                           "    import time\n    time.sleep(2)\n")
        reference = _reference(project)
        procs = [start_cli(".", "--format", "json", "--cache-dir", cache, "-j", str(1 + i % 2),
                           cwd=project) for i in range(4)]
        for proc in procs:
            out, err = proc.communicate(timeout=180)
            assert proc.returncode == 1, err.decode(errors="replace")
            assert out == reference
