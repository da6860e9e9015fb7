"""The project rules shared between this process and a forked child give the same findings as
one process, and a child that fails costs nothing but time."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from stackwise.engine.project_run import split

from ..reliability.conftest import write_tree

# A project with findings from two families of project rules: ASY101 (a blocking call reached
# from async code) and TYP600 (a public function without parameter types), and an import
# cycle (LAY702).
SHOP = {
    "pyproject.toml": "[tool.stackwise]\n",
    "shop/__init__.py": "",
    "shop/api.py": (
        "from shop import services\n\n\n"
        "async def route() -> None:\n"
        "    services.build(1)\n"
    ),
    "shop/services.py": (
        "import time\n\n"
        "from shop import api\n\n\n"
        "def build(n):\n"
        "    time.sleep(n)\n"
        "    return api\n"
    ),
}


def _rules(*codes: str) -> list[type]:
    return [type(f"Rule{c}", (), {"code": c}) for c in codes]


def test_split_keeps_each_family_on_one_side_and_the_order_within_it() -> None:
    rules = _rules("ASY101", "ASY130", "DJA300", "LAY700", "TYP600", "TYP601", "ERR502")
    groups = split(rules)  # type: ignore[arg-type]
    assert groups is not None
    mine, theirs = groups
    assert mine and theirs
    assert sorted(mine + theirs, key=rules.index) == rules
    for group in groups:
        families = {r.code[:3] for r in group}
        assert all(r.code[:3] not in families for r in (theirs if group is mine else mine))
        assert group == sorted(group, key=rules.index)


def test_a_single_family_is_not_split() -> None:
    assert split(_rules("ASY101", "ASY130")) is None  # type: ignore[arg-type]
    assert split([]) is None


# The fork only happens in a process with one thread: pytest-xdist's workers have more, so
# these run in a fresh interpreter.
_SCRIPT = textwrap.dedent("""
    import json, os, sys
    import stackwise
    from stackwise.engine import project_run

    root, mode = sys.argv[1], sys.argv[2]
    forks = []
    start = project_run._start_child
    def counting(work, project):
        child = start(work, project)
        forks.append(child is not None)
        return child
    project_run._start_child = counting
    answers = []
    finish = project_run._finish_child
    def answered(child, patience):
        got = finish(child, patience)
        answers.append(got is not None)
        return got
    project_run._finish_child = answered
    parent = os.getpid()
    if mode != "plain":  # TYP600 (in the child's group) dies or hangs there, not here
        import time
        from stackwise.rules.typing.typ600_untyped_parameter import UntypedPublicParameter
        project_run.PATIENCE_S = 1.0
        check = UntypedPublicParameter.check_project
        def misbehaves_in_child(self, project, report):
            if os.getpid() != parent:
                if mode == "child-dies":
                    os._exit(3)
                time.sleep(30)  # far past the patience; ends soon if orphaned
            return check(self, project, report)
        UntypedPublicParameter.check_project = misbehaves_in_child
    def run(jobs):
        result = stackwise.check([root], root=root, use_cache=False, jobs=jobs)
        return [(f.path, f.line, f.code, f.message) for f in result.findings]
    one, two = run(1), run(2)
    print(json.dumps({"same": one == two, "forks": forks, "answers": answers, "codes": sorted({c for _, _, c, _ in two})}))
""")


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["plain", "child-dies", "child-hangs"])
def test_two_processes_give_what_one_gives(tmp_path: Path, mode: str) -> None:
    write_tree(tmp_path, SHOP)
    out = subprocess.run([sys.executable, "-c", _SCRIPT, str(tmp_path), mode],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert got["forks"] == [True]  # jobs=1 never forks; jobs=2 did, once
    # a dead child, or one killed when out of patience: this process ran its rules
    assert got["answers"] == [mode == "plain"]
    assert got["same"]
    assert {"ASY101", "TYP600", "LAY702"} <= set(got["codes"])
