"""`stackwise types` and `stackwise layout`: argument parsing and output for the structure reports."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from stackwise.config import ConfigError, Settings, load_settings

_KIND_TEXT = {
    "script": "script (no package: a module or a few loose ones)",
    "medium-app": "medium app (a package at the project root)",
    "src-layout": "large src-layout (packages under src/)",
    "empty": "empty (no Python files)",
}


def _percent(value: str) -> float:
    try:
        pct = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if not 0 <= pct <= 100:
        raise argparse.ArgumentTypeError("must be between 0 and 100")
    return pct


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "types",
        help="typed share of the public API, per module (worst first) and in total",
        description=(
            "Count the annotated parameters, returns and attributes of the public API (what "
            "TYP600-TYP602 check) per module, worst first. Exit code: 0, or 1 when the total is "
            "under --fail-under, 2 for a usage or configuration error."
        ),
    )
    p.add_argument("paths", nargs="*", default=["."], help="files or folders (default: .)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--fail-under", type=_percent, default=None, metavar="PCT",
                   help="exit 1 when the total typed share is under PCT (ratchet it in CI)")
    p.add_argument("--config", metavar="FILE", help="pyproject.toml to read settings from")
    p.set_defaults(func=run_types)

    q = sub.add_parser(
        "layout",
        help="say how the project is laid out: kind, by layer or by feature, the layers found",
        description=(
            "Detect the project's layout from its folders and module names: the kind (script, "
            "medium app, large src-layout), the style (by layer, by feature, mixed, flat), the "
            "layers and features recognised and the evidence. LAY700/LAY701 check this "
            "inferred contract unless [tool.stackwise] declares layers or features."
        ),
    )
    q.add_argument("path", nargs="?", default=".", help="project folder (default: .)")
    q.add_argument("--format", choices=("text", "json"), default="text")
    q.add_argument("--config", metavar="FILE", help="pyproject.toml to read settings from")
    q.set_defaults(func=run_layout)


def _settings(args: argparse.Namespace, start: str) -> Settings | None:
    if not args.config:
        return None
    from stackwise.rules.registry import all_rules

    return load_settings(Path(start).resolve(), Path(args.config), set(all_rules()))


def run_types(args: argparse.Namespace) -> int:
    from stackwise.structure import typed_share

    try:
        report = typed_share(args.paths, settings=_settings(args, args.paths[0]))
    except ConfigError as exc:
        print(f"stackwise: error: {exc}", file=sys.stderr)
        return 2
    for w in report.warnings:
        print(f"stackwise: warning: {w}", file=sys.stderr)
    total = report.total
    failed = args.fail_under is not None and total.percent < args.fail_under
    if args.format == "json":
        data = report.to_dict()
        if args.fail_under is not None:
            data["fail_under"] = args.fail_under
            data["passed"] = not failed
        return _write(json.dumps(data, indent=2), 1 if failed else 0)
    text = _types_table(report)
    if failed:
        text += (f"\n\ntyped share {total.percent:.1f}% is under --fail-under "
                 f"{args.fail_under:g}%")
    return _write(text, 1 if failed else 0)


def _cell(share: object) -> str:
    from stackwise.structure import Share

    assert isinstance(share, Share)
    if not share.total:
        return "-"
    return f"{share.typed}/{share.total} {share.percent:3.0f}%"


def _types_table(report: object) -> str:
    from stackwise.structure import TypedShareReport

    assert isinstance(report, TypedShareReport)
    rows = [(m.path, _cell(m.parameters), _cell(m.returns), _cell(m.attributes), _cell(m.total))
            for m in report.modules]
    footer = ("total", _cell(report.parameters), _cell(report.returns),
              _cell(report.attributes), _cell(report.total))
    header = ("module", "parameters", "returns", "attributes", "total")
    widths = [max(len(r[i]) for r in [header, footer, *rows]) for i in range(5)]

    def line(r: tuple[str, ...]) -> str:
        return "  ".join(r[i].ljust(widths[i]) if i == 0 else r[i].rjust(widths[i])
                         for i in range(5)).rstrip()

    out = ["typed share of the public API (worst first)", line(header)]
    out += [line(r) for r in rows]
    out += ["-" * len(line(header)), line(footer)]
    if not rows:
        out.insert(1, "(no public API found: no importable package modules)")
    return "\n".join(out)


def run_layout(args: argparse.Namespace) -> int:
    from stackwise.structure import detect_layout

    try:
        layout = detect_layout(args.path, settings=_settings(args, args.path))
    except ConfigError as exc:
        print(f"stackwise: error: {exc}", file=sys.stderr)
        return 2
    if args.format == "json":
        return _write(json.dumps(layout.to_dict(), indent=2))
    out = [f"kind:     {_KIND_TEXT.get(layout.kind, layout.kind)}", f"style:    {layout.style}"]
    if layout.packages:
        out.append(f"packages: {', '.join(layout.packages)}"
                   + (f" (app root: {layout.app_root})" if layout.app_root else ""))
    if layout.layers:
        out.append("layers:")
        for e in layout.layers:
            shown = ", ".join(e.modules[:6]) + (f", +{len(e.modules) - 6}"
                                                if len(e.modules) > 6 else "")
            out.append(f"  {e.layer:<13} {shown}")
    if layout.features:
        out.append("features:")
        for f in layout.features:
            out.append(f"  {f.name:<13} {f.package}" + (f" ({', '.join(f.layers)})"
                                                         if f.layers else ""))
    out.append("evidence:")
    out += [f"  - {line}" for line in layout.evidence]
    return _write("\n".join(out))


def _write(text: str, code: int = 0) -> int:
    try:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        sys.stderr.close()
    return code
