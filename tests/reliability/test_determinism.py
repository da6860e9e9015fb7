"""The same tree gives byte-identical `--format json` output whatever the worker count, the cache
state, the order files are discovered in, the hash seed, or the folder stackwise is run from.

Each run is the real command in a child process; runs that do not share a cache run at the same
time to keep the test short."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import API_BOTH_LINE, cli_env, json_findings, run_check, start_cli


def _finish(proc: subprocess.Popen[bytes]) -> bytes:
    out, err = proc.communicate(timeout=180)
    assert proc.returncode == 1, err.decode(errors="replace")
    assert b"Traceback" not in err
    return out


@pytest.mark.slow
def test_json_output_is_byte_identical_across_runs(project: Path, tmp_path: Path) -> None:
    base = ("--format", "json", "--no-cache")
    independent = {
        "j1": start_cli(".", *base, "-j", "1", cwd=project),
        "j2": start_cli(".", *base, "-j", "2", cwd=project),
        "seed0": start_cli(".", *base, cwd=project, env=cli_env(PYTHONHASHSEED="0")),
        "seed1": start_cli(".", *base, cwd=project, env=cli_env(PYTHONHASHSEED="1")),
        "seed-random": start_cli(".", *base, cwd=project, env=cli_env(PYTHONHASHSEED="random")),
        "shuffled-1": start_cli(".", *base, "-j", "2", cwd=project,
                                env=cli_env(STACKWISE_SHUFFLE_SEED="1", PYTHONHASHSEED="7")),
        "shuffled-2": start_cli(".", *base, "-j", "1", cwd=project,
                                env=cli_env(STACKWISE_SHUFFLE_SEED="2")),
        "from-subfolder": start_cli("..", *base, cwd=project / "shop"),
        "absolute-from-elsewhere": start_cli(project, *base, cwd=tmp_path),
        "absolute-from-subfolder": start_cli(project, *base, cwd=project / "shop" / "gen"),
        "files-from-root": start_cli("shop/api.py", "shop/services.py", "shop/util.py",
                                     "shop/__init__.py", "shop/gen", *base, cwd=project),
        "files-from-subfolder": start_cli("api.py", "services.py", "util.py", "__init__.py",
                                          "gen", *base, cwd=project / "shop"),
    }
    outputs = {name: _finish(proc) for name, proc in independent.items()}

    # the cache: cold then warm, with one and with two workers, in the project and elsewhere
    cache = tmp_path / "cache"
    for name, args in (("cold", ["-j", "2"]), ("warm", ["-j", "2"]), ("warm-j1", ["-j", "1"])):
        outputs[name] = _finish(start_cli(".", "--format", "json", "--cache-dir", cache, *args,
                                          cwd=project))
    shutil.rmtree(cache)
    outputs["cold-shuffled"] = _finish(start_cli(
        ".", "--format", "json", "--cache-dir", cache, cwd=project,
        env=cli_env(STACKWISE_SHUFFLE_SEED="3")))
    outputs["warm-shuffled-seeded"] = _finish(start_cli(
        ".", "--format", "json", "--cache-dir", cache, cwd=project,
        env=cli_env(STACKWISE_SHUFFLE_SEED="4", PYTHONHASHSEED="99")))
    outputs["default-cache-in-root"] = _finish(start_cli(".", "--format", "json", cwd=project))
    outputs["default-cache-warm-from-subfolder"] = _finish(start_cli(
        "..", "--format", "json", cwd=project / "shop"))

    reference = outputs["j1"]
    different = sorted(name for name, out in outputs.items() if out != reference)
    assert not different, different
    findings = json_findings(reference)
    assert {(f["path"], f["line"], f["code"]) for f in findings} >= {
        ("shop/api.py", API_BOTH_LINE, "ASY101"), ("shop/gen/m029.py", 17, "ASY101")}
    assert findings == sorted(findings, key=lambda f: (f["path"], f["line"], f["column"],
                                                        f["code"], f["message"]))


def test_api_results_do_not_depend_on_discovery_order(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = run_check(project).findings
    for seed in ("11", "12", "13"):
        monkeypatch.setenv("STACKWISE_SHUFFLE_SEED", seed)
        assert run_check(project).findings == reference


def test_paths_are_relative_to_the_project_root(project: Path, tmp_path: Path) -> None:
    # wherever stackwise runs and however the paths are written, output paths are the same
    a = run_check(project, [project / "shop"])
    b = run_check(project, [project / "shop" / ".." / "shop" / "."])
    assert [f.path for f in a.findings] == [f.path for f in b.findings]
    assert all(not f.path.startswith(("/", ".")) for f in a.findings)
