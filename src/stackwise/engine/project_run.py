"""Running the project rules on a linked project: in this process, or shared with one forked
copy of it when the run may use two cores.

The project rules run after every file is analysed, when the analysis workers are idle, and
the heaviest ones are independent of each other (ASY101 walks the call graph, the TYP rules
index the public API, the LAY rules the imports). A forked child sees the linked project
without copying or pickling it, runs one group of rule families and sends back its findings and
the non-Python files it read as a `marshal` payload; this process runs the other group
meanwhile. Whatever goes wrong in the child (it cannot start, dies, sends something
unreadable, or is still running long after this process's group is done: then it is killed),
this process runs that group itself: the answer never depends on the split.

Forking a process that runs other threads can deadlock the child, so the split happens only on
Linux and when this process has a single thread (as the OS counts them): the analysis workers
are shut down before the project rules run.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import select
import signal
import time
from collections.abc import Callable, Sequence
from typing import Any

from stackwise.engine.project import Project, ProjectReporter
from stackwise.engine.runner import fork_is_safe
from stackwise.rules._api import ProjectRule

# How long the child may take beyond this process's own group (plus ten times that group's time)
# before it is taken for stuck, killed, and its rules run here
PATIENCE_S = 60.0

# Rough cost of each family's project rules on a large tree (Home Assistant: ASY 3 s, TYP 2 s,
# LAY 1 s); families not named weigh 1. Only the balance of the two groups depends on it.
_WEIGHT = {"ASY": 4, "TYP": 3, "DJA": 3, "LAY": 2}

Findings = dict[str, list[list[Any]]]


def run_project_rules(project: Project, rules: Sequence[type[ProjectRule]], first: str,
                      verbose: bool, jobs: int) -> Findings:
    """Every rule's findings on `project`, by path, each path's list sorted; the files the rules
    read are added to `project.inputs`. `first` is where a rule's internal error is reported."""
    groups = split(rules) if jobs > 1 and fork_is_safe() else None
    if groups is None:
        return _sorted(run_group(project, rules, first, verbose))
    mine, theirs = groups
    child = _start_child(lambda: run_group(project, theirs, first, verbose), project)
    started = time.monotonic()
    out = run_group(project, mine, first, verbose)
    got = _finish_child(child, PATIENCE_S + 10 * (time.monotonic() - started))
    if got is None:  # no child, or nothing usable from it: the same rules, here
        out_theirs = run_group(project, theirs, first, verbose)
    else:
        out_theirs, inputs = got
        project.inputs.update(inputs)
    for path, found in out_theirs.items():
        out.setdefault(path, []).extend(found)
    return _sorted(out)


def run_group(project: Project, rules: Sequence[type[ProjectRule]], first: str,
              verbose: bool) -> Findings:
    """Run `rules` one after the other; a rule that raises is one `SW001` at `first`."""
    reporter = ProjectReporter()
    for rule_cls in rules:
        try:
            rule_cls().check_project(project, reporter)
        except Exception as exc:  # a rule bug must not stop the run
            from stackwise.engine.extract import internal_error

            reporter.findings.setdefault(first, []).append(internal_error(
                f"internal error in rule {rule_cls.code} (a project-wide rule)", exc, verbose))
    return {k: [list(f) for f in v] for k, v in reporter.findings.items()}


def split(rules: Sequence[type[ProjectRule]]
          ) -> tuple[list[type[ProjectRule]], list[type[ProjectRule]]] | None:
    """The rules in two groups of whole families (rules of a family share what they work out
    from the project), heaviest family first into the lighter group; None if one group would
    be empty. The order of the rules within each group is kept."""
    families: dict[str, list[type[ProjectRule]]] = {}
    for rule in rules:
        families.setdefault(_family(rule.code), []).append(rule)
    if len(families) < 2:
        return None
    load = [0, 0]
    side: dict[str, int] = {}
    for fam in sorted(families, key=lambda f: (-_WEIGHT.get(f, 1), f)):
        i = 0 if load[0] <= load[1] else 1
        side[fam] = i
        load[i] += _WEIGHT.get(fam, 1)
    mine = [r for r in rules if side[_family(r.code)] == 0]
    theirs = [r for r in rules if side[_family(r.code)] == 1]
    return (mine, theirs) if mine and theirs else None


def _family(code: str) -> str:
    return code.rstrip("0123456789")


def _sorted(found: Findings) -> Findings:
    return {path: sorted(found[path]) for path in sorted(found)}


_Child = tuple[int, int]  # pid, read end of the pipe


def _start_child(work: Callable[[], Findings], project: Project) -> _Child | None:
    try:
        read, write = os.pipe()
    except OSError:
        return None
    try:
        pid = os.fork()
    except OSError:
        os.close(read)
        os.close(write)
        return None
    if pid == 0:  # the child: never returns, never runs the parent's cleanup
        code = 1
        try:
            os.close(read)
            payload = marshal.dumps((work(), dict(project.inputs)))
            with os.fdopen(write, "wb") as out:
                out.write(payload)
            code = 0
        except BaseException:  # anything: the parent runs these rules itself
            pass
        finally:
            os._exit(code)
    os.close(write)
    return pid, read


def _finish_child(child: _Child | None, patience: float
                  ) -> tuple[Findings, dict[str, str | None]] | None:
    """The child's findings and inputs; None if it failed, or is still not done after
    `patience` seconds (then it is killed: a child stuck on a lock inherited from the fork must
    not hang the run)."""
    if child is None:
        return None
    pid, read = child
    deadline = time.monotonic() + patience
    chunks: list[bytes] = []
    try:
        while True:
            left = deadline - time.monotonic()
            ready = select.select([read], [], [], max(left, 0))[0] if left > 0 else []
            if not ready:  # out of patience
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
                break
            chunk = os.read(read, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    except OSError:
        pass
    finally:
        os.close(read)
    payload = b"".join(chunks)
    try:
        _, status = os.waitpid(pid, 0)
    except OSError:
        return None
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
        return None
    try:
        findings, inputs = marshal.loads(payload)
    except (EOFError, ValueError, TypeError):
        return None
    if not isinstance(findings, dict) or not isinstance(inputs, dict):
        return None
    return findings, inputs
