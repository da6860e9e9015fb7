"""DJA300 for loops over a function's parameter, fed by the querysets its callers pass.

`def export_rows(orders): for o in orders: o.event.name` reads a relation per row, but the
queryset is built elsewhere: `export_rows(Order.objects.filter(...))`. The extractor records the
loop (`ploops`, with the function's `sig`) and every call that passes a queryset (`argqs`); the
engine's reverse call graph gives every call site of the function. A finding needs every call
site outside tests to pass a queryset of a project model at that parameter (a call passing
anything else, or one the facts do not describe, keeps the loop silent), and is reported at the
per-row read with the chain: queryset, call site, loop, read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from stackwise.engine.facts import CallFact
from stackwise.findings import Frame
from stackwise.rules.django._extract import QS
from stackwise.rules.django._models import (
    Graph,
    Hit,
    PathIssue,
    Resolved,
    checked_functions,
    is_test_or_migration,
    short,
    walk_path,
)


@dataclass(frozen=True)
class _Site:
    """One call site and the queryset it passes."""

    path: str
    line: int
    function: str
    resolved: Resolved


def param_loop_hits(graph: Graph) -> Iterator[Hit]:
    callers = graph.project.callers
    for fq, path, fact in checked_functions(graph):
        ploops = fact.get("ploops")
        sig = fact.get("sig")
        if not ploops or not sig or sig["decorated"]:
            continue
        sites = callers.get(fq, ())
        for loop in ploops:
            found = _sites(graph, fq, sig, loop, sites)
            if found:
                yield from _reads(graph, path, fq, loop, found)


def _sites(graph: Graph, fq: str, sig: dict[str, Any], loop: dict[str, Any],
           sites: Any) -> list[_Site] | None:
    """The queryset each call site passes for the loop's parameter, or None when any call site
    outside tests passes something else (or nothing the facts describe)."""
    out: list[_Site] = []
    for caller, call in sites:
        found = graph.functions.get(caller)
        if found is None:
            if _in_tests(graph, caller):
                continue
            return None
        cpath, cfact = found
        if is_test_or_migration(cpath):
            continue
        desc = _argument(cfact, call, sig, loop["param"], fq)
        if desc is None:
            return None
        full = {"root": desc["root"], "ops": desc["ops"] + loop["ops"], "line": desc["line"]}
        resolved = graph.resolve(full, cpath, caller)
        if resolved is None or resolved.cov.rows != "instances":
            return None
        out.append(_Site(cpath, call.line, caller, resolved))
    return out or None


def _in_tests(graph: Graph, caller: str) -> bool:
    entry = graph.project.functions.get(caller)
    return entry is not None and is_test_or_migration(entry[0])


def _argument(cfact: dict[str, Any], call: CallFact, sig: dict[str, Any], param: str,
              fq: str) -> QS | None:
    """The queryset passed for `param` at `call`, or None."""
    record = next((r for r in cfact.get("argqs", ()) if r[0] == call.line
                   and r[1] == call.column), None)
    if record is None:
        return None
    _line, _col, args, kwargs = record
    if param in kwargs:
        return kwargs[param]  # type: ignore[no-any-return]
    if param not in sig["pos"]:
        return None
    index = sig["pos"].index(param)
    kind = sig["kind"]
    if kind in ("method", "class") or fq.endswith(".__init__"):
        receiver = call.display.rsplit(".", 1)[0] if "." in call.display else ""
        cls = fq.rsplit(".", 2)[-2] if fq.count(".") >= 2 else ""
        if kind == "method" and receiver == cls:
            pass  # `Exporter.rows(self_obj, qs)`: the instance is passed explicitly
        else:
            index -= 1  # bound: `self.rows(qs)`, `Exporter(qs)`, `cls.rows(qs)`
    if index < 0 or index >= len(args):
        return None
    return args[index]  # type: ignore[no-any-return]


def _reads(graph: Graph, path: str, fq: str, loop: dict[str, Any],
           sites: list[_Site]) -> Iterator[Hit]:
    done: set[str] = set()
    for acc_path, line, col, ends, store in loop["acc"]:
        if store:
            acc_path = acc_path[:-1]
        for site in sites:
            issue = walk_path(graph, site.resolved.model, site.resolved.cov, acc_path)
            if issue is None or issue.kind == "query" or issue.lookup in done:
                continue
            done.add(issue.lookup)
            end_line, end_col = ends[issue.index]
            yield Hit(path, line, col, _message(loop, acc_path, issue, site, len(sites)), fq,
                      _chain(site, path, fq, loop, line), end_line, end_col)
            break


def _message(loop: dict[str, Any], acc_path: list[str], issue: PathIssue, site: _Site,
             n_sites: int) -> str:
    upto = issue.index + 1
    if issue.kind == "prefetch" and upto < len(acc_path) and acc_path[upto].endswith("()"):
        upto += 1
    shown = ".".join([loop["var"], *[p for p in acc_path[:upto] if p != "*"]])
    r = site.resolved
    model = r.model.rsplit(".", 1)[-1]
    built = f"{r.path}:{r.line}" + (f" in `{short(r.function)}`" if r.function else "")
    passed = f"passed as `{loop['param']}` at {site.path}:{site.line} in `{short(site.function)}`"
    detail = []
    if (r.path, r.line) != (site.path, site.line):
        detail.append(f"built at {built}")
    if n_sites > 1:
        detail.append(f"1 of {n_sites} call sites")
    if detail:
        passed += f" ({'; '.join(detail)})"
    if issue.kind == "deferred":
        return (f"`{shown}` was deferred on the `{model}` queryset {passed} and is loaded by "
                f"one query per row; add `\"{issue.lookup}\"` to its `.only()` (or drop it from "
                f"`.defer()`)")
    verb = "is loaded by" if issue.kind == "select" else "runs"
    method = "select_related" if issue.kind == "select" else "prefetch_related"
    return (f"N+1 query: `{shown}` {verb} one query per row of the `{model}` queryset {passed}; "
            f"add `.{method}(\"{issue.lookup}\")` to it")


def _chain(site: _Site, path: str, fq: str, loop: dict[str, Any],
           line: int) -> tuple[Frame, ...]:
    r = site.resolved
    frames = [Frame(r.path, r.line, short(r.function or site.function)),
              Frame(site.path, site.line, short(site.function)),
              Frame(path, loop["loop"][0], short(fq)),
              Frame(path, line, short(fq))]
    out: list[Frame] = []
    for f in frames:
        if not out or out[-1] != f:
            out.append(f)
    return tuple(out)
