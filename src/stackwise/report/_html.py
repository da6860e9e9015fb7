"""The `html` format: one self-contained page with the summary, the architecture and the findings.

No network at view time: the styles and the little filtering script are inline, the picture of
the modules is an inline SVG drawn here, and a Content-Security-Policy forbids any fetch. Every
piece of text from the project (paths, messages, source lines) is escaped.
"""

from __future__ import annotations

import html
import math
import os
import re
import tokenize
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path

from stackwise._version import __version__
from stackwise.findings import Finding, Frame
from stackwise.report._common import code_counts, plural, sort_findings, span
from stackwise.report.graph import GraphEdge, GraphModule, ProjectGraph
from stackwise.rules._meta import RuleMeta

# C0/C1 controls, bidirectional overrides ("Trojan Source") and lone surrogates are shown as
# escapes rather than passed to the browser.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_CONTEXT = 2  # source lines shown around a finding
_MAX_SNIPPET = 12  # source lines shown at most per finding
_MAX_LINE = 400  # characters of one source line shown

_RED = "#d93025"
_LAYER_COLOURS = {
    "api": ("#dbeafe", "#3b82f6"),
    "dependencies": ("#e0e7ff", "#6366f1"),
    "services": ("#dcfce7", "#16a34a"),
    "repositories": ("#fef3c7", "#d97706"),
    "models": ("#ffedd5", "#ea580c"),
    "schemas": ("#f3e8ff", "#9333ea"),
    "core": ("#e5e7eb", "#6b7280"),
    "": ("#f8fafc", "#94a3b8"),
}
_EXTRA_COLOURS = (
    ("#dbeafe", "#3b82f6"), ("#dcfce7", "#16a34a"), ("#fef3c7", "#d97706"),
    ("#f3e8ff", "#9333ea"), ("#ffedd5", "#ea580c"), ("#cffafe", "#0891b2"),
)

# picture geometry (px)
_WIDTH = 1200
_LABEL = 140
_NODE_W = 168
_NODE_H = 30
_GAP_X = 16
_GAP_Y = 18
_BAND_PAD = 16
_BAND_GAP = 26


def _safe(text: str) -> str:
    return _UNSAFE.sub(lambda m: ascii(m.group())[1:-1], text)


def _e(text: object) -> str:
    """Text escaped for HTML content and attribute values."""
    return html.escape(_safe(str(text)), quote=True)


class _Sources:
    """Source lines read on demand, once per file, from the project root."""

    def __init__(self, root: Path | None) -> None:
        self.root = root
        self._files: dict[str, list[str] | None] = {}

    def lines(self, path: str) -> list[str] | None:
        if path not in self._files:
            full = Path(path) if self.root is None else self.root / path
            try:
                with tokenize.open(full) as fh:  # honours PEP 263 encoding cookies
                    self._files[path] = fh.read().split("\n")
            except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
                self._files[path] = None
        return self._files[path]

    def line(self, path: str, number: int) -> str | None:
        lines = self.lines(path)
        if lines is None or not 1 <= number <= len(lines):
            return None
        return lines[number - 1]


def _clip(line: str) -> str:
    line = line.rstrip()
    return line if len(line) <= _MAX_LINE else line[:_MAX_LINE] + " …"


# -- findings -------------------------------------------------------------------------------------


def _snippet(finding: Finding, sources: _Sources) -> str:
    where = span(finding)
    lines = sources.lines(finding.path) if where.line else None
    if lines is None or not 1 <= where.line <= len(lines):
        return ""
    last = min(where.end_line, where.line + _MAX_SNIPPET - 2 * _CONTEXT - 1, len(lines))
    first = max(1, where.line - _CONTEXT)
    stop = min(len(lines), last + _CONTEXT)
    while first < where.line and not lines[first - 1].strip():
        first += 1  # no blank context around the lines
    while stop > last and not lines[stop - 1].strip():
        stop -= 1
    width = len(str(stop))
    rows = []
    for n in range(first, stop + 1):
        text = _clip(lines[n - 1])
        hit = where.line <= n <= last
        if hit and n == where.line and where.column:
            start = min(where.column - 1, len(text))
            end = len(text)
            if where.end_column and where.end_line == where.line:
                end = max(min(where.end_column - 1, len(text)), start + 1)
            body = (f"{_e(text[:start])}<mark>{_e(text[start:end]) or ' '}</mark>"
                    f"{_e(text[end:])}")
        else:
            body = _e(text)
        cls = ' class="hit"' if hit else ""
        rows.append(f'<span{cls}><span class="ln">{n:>{width}}</span> {body}</span>')
    return '<pre class="source">' + "\n".join(rows) + "</pre>"


def _frame(frame: Frame, sources: _Sources) -> str:
    where = f"{frame.path}:{frame.line}"
    code = sources.line(frame.path, frame.line)
    shown = f' <code>{_e(_clip(code).strip())}</code>' if code is not None else ""
    function = frame.function or "<module>"
    return f"<li><span class=loc>{_e(where)}</span> in <b>{_e(function)}</b>{shown}</li>"


def _finding_row(finding: Finding, index: int, rules: Mapping[str, RuleMeta],
                 sources: _Sources) -> str:
    meta = rules.get(finding.code)
    sev = str(finding.severity)
    search = f"{finding.code} {finding.path} {finding.function} {finding.message}".lower()
    chain = ""
    if finding.chain:
        chain = ('<div class="chain-title">call chain</div><ol class="chain">'
                 + "".join(_frame(f, sources) for f in finding.chain) + "</ol>")
    where = f"{finding.path}:{finding.line}:{finding.column}"
    function = (f'<div class="fn">in <b>{_e(finding.function)}</b></div>'
                if finding.function else "")
    title = f' title="{_e(meta.name + ": " + meta.summary)}"' if meta else ""
    message = "<br>".join(_e(part) for part in finding.message.splitlines() or [""])
    return (
        f'<tr class="finding sev-{_e(sev)}" id="f{index}" data-code="{_e(finding.code)}" '
        f'data-path="{_e(finding.path)}" data-search="{_e(search)}">'
        f'<td><span class="sev {_e(sev)}">{_e(sev)}</span></td>'
        f'<td><a class="code" href="#rule-{_e(finding.code)}"{title}>{_e(finding.code)}</a></td>'
        f'<td class="where"><span class=loc>{_e(where)}</span>{function}</td>'
        f'<td><div class="msg">{message}</div>{_snippet(finding, sources)}{chain}</td>'
        "</tr>"
    )


# -- summary --------------------------------------------------------------------------------------


def _summary(findings: Sequence[Finding], rules: Mapping[str, RuleMeta]) -> str:
    if not findings:
        return '<p class="empty">No findings.</p>'
    rows = []
    for code, n in code_counts(findings):
        meta = rules.get(code)
        name = meta.name if meta else ""
        summary = meta.summary if meta else ""
        rows.append(
            f'<tr id="rule-{_e(code)}"><td class="num">{n}</td>'
            f'<td><a href="#findings" class="filter" data-filter="{_e(code)}">{_e(code)}</a></td>'
            f"<td>{_e(name)}</td><td>{_e(summary)}</td></tr>")
    by_code = ('<table class="summary"><thead><tr><th>count</th><th>code</th><th>rule</th>'
               "<th>what to do instead</th></tr></thead><tbody>" + "".join(rows)
               + "</tbody></table>")
    per_file: dict[str, Counter[str]] = defaultdict(Counter)
    for f in findings:
        per_file[f.path][f.code] += 1
    ordered = sorted(per_file.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    rows = []
    for path, counts in ordered:
        codes = ", ".join(f"{c} \u00d7{n}" if n > 1 else c for c, n in sorted(counts.items()))
        rows.append(
            f'<tr><td class="num">{sum(counts.values())}</td>'
            f'<td><a href="#findings" class="filter" data-filter="{_e(path)}">{_e(path)}</a></td>'
            f"<td>{_e(codes)}</td></tr>")
    by_module = ('<table class="summary"><thead><tr><th>count</th><th>module</th><th>codes</th>'
                 "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>")
    return (f'<div class="cols"><div><h3>By code</h3>{by_code}</div>'
            f"<div><h3>By module</h3>{by_module}</div></div>")


# -- architecture picture -------------------------------------------------------------------------


def _colours(layers: Sequence[str]) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    extra = 0
    for layer in layers:
        if layer in _LAYER_COLOURS:
            out[layer] = _LAYER_COLOURS[layer]
        else:
            out[layer] = _EXTRA_COLOURS[extra % len(_EXTRA_COLOURS)]
            extra += 1
    return out


def _label(module: GraphModule, common: str) -> str:
    name = module.name
    if common and name.startswith(common + "."):
        name = name[len(common) + 1:]
    return name + ("/*" if module.members > 1 else "")


def _common_prefix(names: Sequence[str]) -> str:
    """The top-level package every module shares (trimmed from the labels), if any."""
    firsts = {n.split(".")[0] for n in names}
    if len(firsts) == 1 and any("." in n for n in names):
        return firsts.pop()
    return ""


def _fit(text: str, width: int) -> str:
    most = max(4, (width - 16) // 7)  # ~7px per character at 12px
    return text if len(text) <= most else "…" + text[-(most - 1):]


def _edge_path(a: tuple[float, float], b: tuple[float, float]) -> str:
    """A curve from box to box: bottom to top going down, top to bottom going up, and an arc
    over the row between two boxes of the same row."""
    (x1, y1), (x2, y2) = a, b
    if abs(y1 - y2) < 1:
        top = y1 - _NODE_H / 2
        lift = min(12 + abs(x2 - x1) / 10, _BAND_PAD + _GAP_Y / 2)
        return (f"M{x1:.1f},{top:.1f} C{x1:.1f},{top - lift:.1f} {x2:.1f},{top - lift:.1f} "
                f"{x2:.1f},{top:.1f}")
    down = y2 > y1
    sy = y1 + (_NODE_H / 2 if down else -_NODE_H / 2)
    ty = y2 - (_NODE_H / 2 if down else -_NODE_H / 2)
    mid = (sy + ty) / 2
    return f"M{x1:.1f},{sy:.1f} C{x1:.1f},{mid:.1f} {x2:.1f},{mid:.1f} {x2:.1f},{ty:.1f}"


def _svg(graph: ProjectGraph, findings: Sequence[Finding]) -> str:
    per_row = max(1, (_WIDTH - _LABEL - 20 + _GAP_X) // (_NODE_W + _GAP_X))
    colours = _colours(graph.layers)
    by_layer: dict[str, list[GraphModule]] = defaultdict(list)
    for m in graph.modules:
        by_layer[m.layer].append(m)
    common = _common_prefix([m.name for m in graph.modules])
    counts: Counter[str] = Counter()
    for f in findings:
        counts[f.path] += 1

    def count(m: GraphModule) -> int:
        if m.members == 1:
            return counts.get(m.path, 0)
        return sum(n for p, n in counts.items() if p.startswith(m.path))

    centre: dict[str, tuple[float, float]] = {}
    parts: list[str] = []
    y = 14.0
    for layer in graph.layers:
        members = sorted(by_layer[layer], key=lambda m: m.name)
        rows = math.ceil(len(members) / per_row)
        height = rows * _NODE_H + (rows - 1) * _GAP_Y + 2 * _BAND_PAD
        fill, stroke = colours[layer]
        name = layer or "other"
        parts.append(
            f'<g class="band" data-layer="{_e(name)}">'
            f'<rect x="4" y="{y:.0f}" width="{_WIDTH - 8}" height="{height}" rx="8" '
            f'fill="{fill}" fill-opacity="0.35" stroke="{stroke}" stroke-opacity="0.4"/>'
            f'<text x="16" y="{y + height / 2 + 5:.0f}" class="band-label" fill="{stroke}">'
            f"{_e(name)}</text></g>")
        for i, m in enumerate(members):
            row, col = divmod(i, per_row)
            cx = _LABEL + col * (_NODE_W + _GAP_X) + _NODE_W / 2
            cy = y + _BAND_PAD + row * (_NODE_H + _GAP_Y) + _NODE_H / 2
            centre[m.name] = (cx, cy)
        y += height + _BAND_GAP
    total_height = max(int(y - _BAND_GAP + 10), 60)

    normal: list[str] = []
    bad: list[str] = []
    for e in graph.edges:
        if e.source not in centre or e.target not in centre:
            continue
        d = _edge_path(centre[e.source], centre[e.target])
        tip = _edge_title(e)
        if e.violations:
            dashed = ' stroke-dasharray="6 4"' if e.violations == ("LAY702",) else ""
            bad.append(
                f'<path class="edge violation" data-codes="{_e(" ".join(e.violations))}" '
                f'data-source="{_e(e.source)}" data-target="{_e(e.target)}" '
                f'd="{d}" stroke="{_RED}" stroke-width="2.4" fill="none"{dashed} '
                f'marker-end="url(#arrow-red)"><title>{_e(tip)}</title></path>')
        else:
            normal.append(
                f'<path class="edge" data-source="{_e(e.source)}" data-target="{_e(e.target)}" '
                f'd="{d}" stroke="#64748b" stroke-opacity="0.45" '
                f'stroke-width="1.2" fill="none" marker-end="url(#arrow)">'
                f"<title>{_e(tip)}</title></path>")

    nodes: list[str] = []
    for m in graph.modules:
        cx, cy = centre[m.name]
        fill, stroke = colours[m.layer]
        n = count(m)
        badge = ""
        if n:
            badge = (f'<circle cx="{cx + _NODE_W / 2 - 4:.1f}" cy="{cy - _NODE_H / 2 + 2:.1f}" '
                     f'r="9" fill="{_RED}"/><text class="badge" x="{cx + _NODE_W / 2 - 4:.1f}" '
                     f'y="{cy - _NODE_H / 2 + 6:.1f}" text-anchor="middle">{n}</text>')
        tip = f"{m.name} ({m.path})" + (f", {plural(n, 'finding')}" if n else "")
        if m.members > 1:
            tip += f", {m.members} modules"
        nodes.append(
            f'<g class="module" data-module="{_e(m.name)}" data-path="{_e(m.path)}" '
            f'data-layer="{_e(m.layer or "other")}"><title>{_e(tip)}</title>'
            f'<rect x="{cx - _NODE_W / 2:.1f}" y="{cy - _NODE_H / 2:.1f}" width="{_NODE_W}" '
            f'height="{_NODE_H}" rx="6" fill="{fill}" stroke="{stroke}" stroke-width="1.5"/>'
            f'<text x="{cx:.1f}" y="{cy + 4:.1f}" text-anchor="middle">'
            f"{_e(_fit(_label(m, common), _NODE_W))}</text>{badge}</g>")

    defs = (
        "<defs>"
        '<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" '
        'markerHeight="8" markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#64748b"/></marker>'
        '<marker id="arrow-red" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="11" '
        'markerHeight="11" markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
        f'<path d="M0,0 L10,5 L0,10 z" fill="{_RED}"/></marker></defs>'
    )
    return (
        f'<svg class="graph" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'aria-label="modules by layer and their imports" viewBox="0 0 {_WIDTH} {total_height}" '
        f'width="{_WIDTH}" height="{total_height}">{defs}'
        + "".join(parts) + '<g class="edges">' + "".join(normal) + "".join(bad) + "</g>"
        + '<g class="modules">' + "".join(nodes) + "</g></svg>"
    )


def _edge_title(edge: GraphEdge) -> str:
    where = ", ".join(f"{p}:{line}" for p, line in edge.sites[:4])
    if len(edge.sites) > 4:
        where += f" (+{len(edge.sites) - 4})"
    codes = f" [{', '.join(edge.violations)}]" if edge.violations else ""
    return f"{edge.source} imports {edge.target}{codes} at {where}"


def _architecture(graph: ProjectGraph | None, findings: Sequence[Finding]) -> str:
    if graph is None:
        return ('<p class="empty">No picture of the modules: the report was rendered without '
                "the project's import graph.</p>")
    if not graph.modules:
        return '<p class="empty">No project modules to draw.</p>'
    source = {
        "declared": "layers declared in [tool.stackwise] layers",
        "inferred": "layers inferred from the folder and module names (see `stackwise layout`)",
        "names": "layers guessed from package names",
    }.get(graph.contract, graph.contract)
    violations = sum(1 for e in graph.edges if e.violations)
    notes = "".join(f"<li>{_e(n)}</li>" for n in graph.notes)
    legend = (
        '<div class="legend"><span><svg width="36" height="10"><path d="M2,5 H34" '
        'stroke="#64748b" stroke-width="1.5"/></svg> import</span>'
        f'<span><svg width="36" height="10"><path d="M2,5 H34" stroke="{_RED}" '
        'stroke-width="2.4"/></svg> import a LAY rule reports (LAY700, LAY701)</span>'
        f'<span><svg width="36" height="10"><path d="M2,5 H34" stroke="{_RED}" '
        'stroke-width="2.4" stroke-dasharray="6 4"/></svg> import in a cycle (LAY702)</span>'
        f'<span><svg width="20" height="20"><circle cx="10" cy="10" r="8" fill="{_RED}"/>'
        '</svg> findings in the module</span></div>'
    )
    caption = (f"<p>{plural(len(graph.modules), 'module')}, "
               f"{plural(len(graph.edges), 'import edge')}, "
               f"{plural(violations, 'violating edge')}; {_e(source)}. "
               "Click a module to list its findings.</p>")
    return (caption + legend + f'<div class="graph-wrap">{_svg(graph, findings)}</div>'
            + (f'<ul class="notes">{notes}</ul>' if notes else ""))


# -- page -----------------------------------------------------------------------------------------

_CSS = """
:root { color-scheme: light; --fg:#1f2937; --muted:#6b7280; --line:#e5e7eb; --red:#d93025; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
  color:var(--fg); background:#fff; }
header { padding:20px 32px 12px; border-bottom:1px solid var(--line); background:#f8fafc; }
header h1 { margin:0 0 4px; font-size:22px; }
nav a { margin-right:16px; color:#2563eb; text-decoration:none; }
main { padding:8px 32px 40px; }
section { margin-top:24px; }
h2 { font-size:18px; border-bottom:1px solid var(--line); padding-bottom:4px; }
h3 { font-size:15px; margin:8px 0; }
.cols { display:flex; gap:32px; flex-wrap:wrap; } .cols > div { flex:1 1 420px; }
table { border-collapse:collapse; width:100%; }
th, td { text-align:left; vertical-align:top; padding:6px 8px; border-bottom:1px solid var(--line); }
th { font-weight:600; color:var(--muted); font-size:12px; text-transform:uppercase; }
td.num { text-align:right; width:4em; font-variant-numeric:tabular-nums; }
a { color:#2563eb; }
.sev { display:inline-block; padding:1px 7px; border-radius:9px; font-size:12px; color:#fff; }
.sev.error { background:var(--red); } .sev.warning { background:#d97706; }
.sev.info { background:#2563eb; }
.code { font-weight:600; font-family:ui-monospace,Menlo,Consolas,monospace; }
.loc { font-family:ui-monospace,Menlo,Consolas,monospace; font-size:13px; }
.where { white-space:nowrap; } .fn { color:var(--muted); font-size:12px; }
.msg { margin-bottom:4px; }
pre.source { margin:4px 0; padding:6px 8px; background:#f8fafc; border:1px solid var(--line);
  border-radius:6px; overflow-x:auto; font:12px/1.5 ui-monospace,Menlo,Consolas,monospace; }
pre.source .hit { display:inline-block; min-width:100%; background:#fef2f2; }
pre.source .ln { color:#9ca3af; user-select:none; }
pre.source mark { background:#fecaca; color:inherit; border-bottom:2px solid var(--red); }
.chain-title { font-size:12px; color:var(--muted); margin-top:6px; }
ol.chain { margin:2px 0 0 18px; padding:0; font-size:13px; }
ol.chain code { font-size:12px; background:#f1f5f9; padding:1px 4px; border-radius:4px; }
.filter-bar { display:flex; gap:12px; align-items:center; margin:8px 0; }
.filter-bar input { flex:0 1 420px; padding:6px 10px; border:1px solid #cbd5e1; border-radius:6px; }
.graph-wrap { overflow-x:auto; border:1px solid var(--line); border-radius:8px; }
svg.graph { display:block; max-width:100%; height:auto; }
svg.graph text { font:12px ui-monospace,Menlo,Consolas,monospace; fill:#111827; }
svg.graph text.band-label { font:600 13px system-ui,sans-serif; text-transform:uppercase; }
svg.graph text.badge { font:bold 11px system-ui,sans-serif; fill:#fff; }
svg.graph g.module { cursor:pointer; } svg.graph g.module:hover rect { stroke-width:3; }
svg.graph.focus path.edge { opacity:0.12; }
svg.graph.focus path.edge.hl { opacity:1; stroke-opacity:1; stroke-width:2.4; }
.legend { display:flex; gap:20px; flex-wrap:wrap; color:var(--muted); font-size:12px;
  margin:6px 0 10px; align-items:center; }
.legend svg { vertical-align:middle; }
.empty, .notes { color:var(--muted); }
.warnings li { color:#92400e; }
footer { padding:16px 32px; color:var(--muted); font-size:12px; border-top:1px solid var(--line); }
"""

_JS = """
(function () {
  var input = document.getElementById('filter');
  var rows = Array.prototype.slice.call(document.querySelectorAll('tr.finding'));
  var shown = document.getElementById('shown');
  function apply() {
    var terms = input.value.toLowerCase().split(/\\s+/).filter(Boolean);
    var n = 0;
    rows.forEach(function (row) {
      var text = row.getAttribute('data-search') + ' ' + row.getAttribute('data-path');
      var ok = terms.every(function (t) { return text.indexOf(t) >= 0; });
      row.style.display = ok ? '' : 'none';
      if (ok) { n += 1; }
    });
    shown.textContent = terms.length ? n + ' of ' + rows.length + ' shown' : '';
  }
  function set(value) { input.value = value; apply(); }
  input.addEventListener('input', apply);
  document.querySelectorAll('a.filter').forEach(function (a) {
    a.addEventListener('click', function () { set(a.getAttribute('data-filter')); });
  });
  var svg = document.querySelector('svg.graph');
  var edges = Array.prototype.slice.call(document.querySelectorAll('svg.graph path.edge'));
  document.querySelectorAll('svg.graph g.module').forEach(function (g) {
    var name = g.getAttribute('data-module');
    g.addEventListener('click', function () {
      set(g.getAttribute('data-path'));
      document.getElementById('findings').scrollIntoView();
    });
    g.addEventListener('mouseenter', function () {
      svg.classList.add('focus');
      edges.forEach(function (e) {
        var mine = e.getAttribute('data-source') === name || e.getAttribute('data-target') === name;
        e.classList.toggle('hl', mine);
      });
    });
    g.addEventListener('mouseleave', function () { svg.classList.remove('focus'); });
  });
  document.documentElement.setAttribute('data-findings', String(rows.length));
})();
"""

_CSP = ("default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
        "img-src data:; base-uri 'none'; form-action 'none'")


def render_html(
    findings: Sequence[Finding],
    *,
    rules: Mapping[str, RuleMeta],
    files_checked: int = 0,
    warnings: Sequence[str] = (),
    graph: ProjectGraph | None = None,
    root: str | os.PathLike[str] | None = None,
) -> str:
    """The whole report as one HTML page. Source lines are read from `root` (the project root
    the findings' paths are relative to; default the working directory)."""
    ordered = sort_findings(findings)
    sources = _Sources(Path(root) if root is not None else None)
    files = f" in {plural(files_checked, 'file')}" if files_checked > 0 else ""
    if ordered:
        breakdown = ", ".join(f"{n} {code}" for code, n in code_counts(ordered))
        headline = f"Found {plural(len(ordered), 'finding')} ({breakdown}){files}."
    else:
        headline = f"All checks passed{files}."
    rows = "".join(_finding_row(f, i, rules, sources) for i, f in enumerate(ordered, 1))
    table = (
        '<div class="filter-bar"><input id="filter" type="search" '
        'placeholder="filter by code, path or text (e.g. ASY101 services/)" '
        'aria-label="filter findings"><span id="shown"></span></div>'
        '<table class="findings"><thead><tr><th>severity</th><th>code</th><th>where</th>'
        f"<th>message, source and call chain</th></tr></thead><tbody>{rows}</tbody></table>"
    )
    if not ordered:
        table += '<p class="empty">No findings.</p>'
    warned = ""
    if warnings:
        items = "".join(f"<li>{_e(w)}</li>" for w in warnings)
        warned = f'<section id="warnings"><h2>Warnings</h2><ul class="warnings">{items}</ul></section>'
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>stackwise report: {_e(headline)}</title><style>{_CSS}</style></head><body>"
        f'<header><h1>stackwise report</h1><p class="headline">{_e(headline)}</p>'
        '<nav><a href="#summary">Summary</a><a href="#architecture">Architecture</a>'
        '<a href="#findings">Findings</a></nav></header><main>'
        f'<section id="summary"><h2>Summary</h2>{_summary(ordered, rules)}</section>'
        f'<section id="architecture"><h2>Architecture</h2>{_architecture(graph, ordered)}'
        "</section>"
        f'<section id="findings"><h2>Findings</h2>{table}</section>{warned}</main>'
        f"<footer>stackwise {_e(__version__)}: the analysed code was read, never run.</footer>"
        f"<script>{_JS}</script></body></html>\n"
    )
