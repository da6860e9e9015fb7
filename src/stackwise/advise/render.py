"""Turn an `Advice` into text for a terminal, Markdown for a document, or JSON for tools."""

from __future__ import annotations

import json
from collections.abc import Callable

from stackwise.advise.knowledge import load
from stackwise.advise.models import Advice, FactorRow, Mismatch, Recommendation

FORMATS = ("text", "markdown", "json")

# Headings for the `details` keys a rule may carry.
_DETAIL_LABELS = {
    "async_parts": "Async",
    "sync_parts": "Sync",
    "cpu_work": "CPU work goes to",
    "counterpart": "Counterpart",
    "runs": "Runs as",
    "notes": "Notes",
    "where": "Where validation happens",
    "plugins": "Plugins",
    "fixtures": "Fixtures",
    "tree": "Test layout",
    "checks": "`stackwise check` codes",
}
_FRAMEWORK_COLUMNS = ("fastapi", "django", "flask")


def render(advice: Advice, fmt: str) -> str:
    """The advice in `fmt` (one of FORMATS)."""
    renderers: dict[str, Callable[[Advice], str]] = {
        "text": render_text,
        "markdown": render_markdown,
        "json": render_json,
    }
    return renderers[fmt](advice)


def render_json(advice: Advice) -> str:
    return json.dumps(advice.to_dict(), indent=2, ensure_ascii=False) + "\n"


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _answer_rows(advice: Advice) -> list[tuple[str, str, str]]:
    kb = load()
    given = advice.answers.given()
    rows = []
    for q in kb.questions:
        if q.key == "name" or q.key not in given:
            continue
        if q.key in advice.assumed and not q.ask_when.matches(given):
            continue  # a default for a question that does not apply here
        value = given[q.key]
        meaning = q.label(value) if q.choices else q.prompt
        rows.append((q.key, _value(value), meaning))
    return rows


def _clip(lines: list[str], keep: int = 5) -> list[str]:
    if len(lines) <= keep:
        return lines
    return [*lines[:keep], f"... and {len(lines) - keep} more (see --format json)"]


def _framework_label(key: str) -> str:
    return load().decision("framework").options[key]


# --- text ------------------------------------------------------------------------------------


def render_text(advice: Advice) -> str:
    out: list[str] = []
    w = out.append
    if advice.inference is not None:
        _text_inference(advice, w)
    w("ANSWERS")
    for key, value, meaning in _answer_rows(advice):
        flag = "  (assumed: default)" if key in advice.assumed else ""
        w(f"  {key:<17}{value:<10}{meaning}{flag}")
    for note in advice.notes:
        w(f"  note: {note}")
    w("")
    for section in load().sections:
        recs = [r for r in advice.recommendations if r.section == section.id]
        if not recs:
            continue
        w(section.title.upper())
        for rec in recs:
            _text_rec(rec, w)
            if rec.decision == "framework":
                _text_factors(advice.factors, rec.choice, w)
            if rec.decision == "layout":
                w("    Tree:")
                for line in advice.tree_text().splitlines():
                    w("      " + line)
        w("")
    w("SCAFFOLD")
    w(f"  {advice.command}")
    if advice.inference is not None:
        w("")
        _text_mismatches(advice.mismatches, w)
    return "\n".join(out).rstrip() + "\n"


def _text_rec(rec: Recommendation, w: Callable[[str], None]) -> None:
    w(f"  {rec.title}: {rec.label}    [{rec.rule}]")
    w(f"    Principle: {rec.principle.title}. {rec.principle.text}")
    for reason in rec.reasons:
        w(f"    + {reason}")
    for alt in rec.rejected:
        w(f"    - not {alt.label}: {alt.why}")
    for key, detail in rec.details.items():
        label = _DETAIL_LABELS.get(key, key)
        if isinstance(detail, str):
            w(f"    {label}: {detail}")
        elif key == "checks":
            w(f"    {label}: {', '.join(detail)}")
        elif detail:
            w(f"    {label}:")
            for item in detail:
                w(f"      - {item}")
    for rule in rec.always:
        w(f"    * {rule}")


def _text_factors(rows: tuple[FactorRow, ...], chosen: str, w: Callable[[str], None]) -> None:
    w("    Factor table (* recommended):")
    for row in rows:
        favours = ", ".join(_framework_label(f) for f in row.favours)
        w(
            f"      {row.label}: this case: {row.need}"
            + (f" (favours {favours})" if favours else "")
        )
        for fw in _FRAMEWORK_COLUMNS:
            mark = "*" if fw == chosen else " "
            w(f"        {mark}{_framework_label(fw):<9}{row.values[fw]}")


def _text_inference(advice: Advice, w: Callable[[str], None]) -> None:
    inf = advice.inference
    assert inf is not None
    s = inf.summary
    w(f"INFERRED FROM {inf.root}")
    w(
        f"  {s['python_files']} Python files ({s['test_files']} tests), {s['lines']} lines, "
        f"{s['async_functions']}/{s['functions']} functions async, "
        f"{s['async_routes']}/{s['routes']} routes async"
    )
    if s["dependency_files"]:
        w(f"  dependencies read from: {', '.join(s['dependency_files'])}")
    for problem in _clip(s["problems"]):
        w(f"  warning: {problem}")
    given = inf.answers.given()
    for key, lines in inf.evidence.items():
        value = _value(given[key]) if key in given else "(default)"
        w(f"  {key} = {value}")
        for line in lines:
            w(f"      {line}")
    w("")


def _text_mismatches(mismatches: tuple[Mismatch, ...], w: Callable[[str], None]) -> None:
    if not mismatches:
        w("MISMATCHES: none: the project already follows the recommendation.")
        return
    w(f"MISMATCHES ({len(mismatches)})")
    for m in mismatches:
        w(f"  [{m.severity}] {m.title}: {m.message}")
        for line in m.evidence:
            w(f"      - {line}")
        w(f"    migrate: {m.migrate}")
        if m.checks:
            w(f"    find the spots: stackwise check --select {','.join(m.checks)}")


# --- markdown --------------------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(advice: Advice) -> str:
    out: list[str] = []
    w = out.append
    w("# Stack advice")
    w("")
    if advice.inference is not None:
        _md_inference(advice, w)
    w("## Answers")
    w("")
    w("| Question | Answer | |")
    w("|---|---|---|")
    for key, value, meaning in _answer_rows(advice):
        flag = " *(assumed)*" if key in advice.assumed else ""
        w(f"| `{key}` | {value}{flag} | {_cell(meaning)} |")
    w("")
    for note in advice.notes:
        w(f"> **Note:** {note}")
        w("")
    for section in load().sections:
        recs = [r for r in advice.recommendations if r.section == section.id]
        if not recs:
            continue
        w(f"## {section.title}")
        w("")
        if section.id == "libraries":
            _md_libraries(recs, w)
            continue
        for rec in recs:
            _md_rec(rec, w)
            if rec.decision == "framework":
                _md_factors(advice.factors, rec.choice, w)
            if rec.decision == "layout":
                w("```")
                w(advice.tree_text())
                w("```")
                w("")
    w("## Scaffold it")
    w("")
    w("```sh")
    w(advice.command)
    w("```")
    w("")
    if advice.inference is not None:
        _md_mismatches(advice.mismatches, w)
    return "\n".join(out).rstrip() + "\n"


def _md_rec(rec: Recommendation, w: Callable[[str], None]) -> None:
    w(f"### {rec.title}: **{rec.label}**")
    w("")
    w(f"*Principle: {rec.principle.title}.* {rec.principle.text} (rule `{rec.rule}`)")
    w("")
    for reason in rec.reasons:
        w(f"- {reason}")
    w("")
    if rec.rejected:
        w("Rejected:")
        w("")
        for alt in rec.rejected:
            w(f"- **{alt.label}**: {alt.why}")
        w("")
    for key, detail in rec.details.items():
        label = _DETAIL_LABELS.get(key, key)
        if isinstance(detail, str):
            w(f"**{label}:** {detail}")
            w("")
        elif key == "checks":
            w(f"**{label}:** " + ", ".join(f"`{code}`" for code in detail))
            w("")
        elif detail:
            w(f"**{label}:**")
            w("")
            for item in detail:
                w(f"- {item}")
            w("")
    if rec.always:
        w("Always:")
        w("")
        for rule in rec.always:
            w(f"- {rule}")
        w("")


def _md_factors(rows: tuple[FactorRow, ...], chosen: str, w: Callable[[str], None]) -> None:
    heads = [_framework_label(fw) + (" ✓" if fw == chosen else "") for fw in _FRAMEWORK_COLUMNS]
    w("| Factor | " + " | ".join(heads) + " | This case |")
    w("|---" * (len(heads) + 2) + "|")
    for row in rows:
        favours = ", ".join(_framework_label(f) for f in row.favours)
        case = row.need + (f" (favours {favours})" if favours else "")
        cells = [_cell(row.values[fw]) for fw in _FRAMEWORK_COLUMNS]
        w(f"| {row.label} | " + " | ".join(cells) + f" | {_cell(case)} |")
    w("")


def _md_libraries(recs: list[Recommendation], w: Callable[[str], None]) -> None:
    w("| Need | Use | Why | Counterpart | Rejected |")
    w("|---|---|---|---|---|")
    for rec in recs:
        why = " ".join(rec.reasons)
        counterpart = rec.details.get("counterpart", "")
        rejected = "; ".join(f"{a.label}: {a.why}" for a in rec.rejected)
        w(
            f"| {rec.title} | **{_cell(rec.label)}** | {_cell(why)} | "
            f"{_cell(str(counterpart))} | {_cell(rejected)} |"
        )
    w("")
    principles = dict.fromkeys(f"*{r.principle.title}.* {r.principle.text}" for r in recs)
    for text in principles:
        w(f"Principle: {text}")
        w("")


def _md_inference(advice: Advice, w: Callable[[str], None]) -> None:
    inf = advice.inference
    assert inf is not None
    s = inf.summary
    w(f"## Inferred from `{inf.root}`")
    w("")
    w(
        f"{s['python_files']} Python files ({s['test_files']} tests), {s['lines']} lines; "
        f"{s['async_functions']} of {s['functions']} functions async; "
        f"{s['async_routes']} of {s['routes']} routes async."
    )
    if s["dependency_files"]:
        w(f"Dependencies read from {', '.join(f'`{f}`' for f in s['dependency_files'])}.")
    w("")
    for problem in _clip(s["problems"]):
        w(f"> **Warning:** {problem}")
        w("")
    w("| Answer | Value | Evidence |")
    w("|---|---|---|")
    given = inf.answers.given()
    for key, lines in inf.evidence.items():
        value = _value(given[key]) if key in given else "*(default)*"
        w(f"| `{key}` | {value} | {_cell('<br>'.join(lines))} |")
    w("")


def _md_mismatches(mismatches: tuple[Mismatch, ...], w: Callable[[str], None]) -> None:
    w("## Mismatches")
    w("")
    if not mismatches:
        w("None: the project already follows the recommendation.")
        return
    for m in mismatches:
        w(f"### {m.title} ({m.severity})")
        w("")
        w(m.message[:1].upper() + m.message[1:] + ".")
        w("")
        for line in m.evidence:
            w(f"- `{line}`")
        w("")
        w(f"**Migrate:** {m.migrate}")
        w("")
        if m.checks:
            w(f"**Find the spots:** `stackwise check --select {','.join(m.checks)}`")
            w("")
