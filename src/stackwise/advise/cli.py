"""The `stackwise advise` sub-command: gather answers (flags, file, repository, prompts), print advice."""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

from stackwise.advise.answers import AnswerError, Answers, Problem
from stackwise.advise.engine import advise
from stackwise.advise.interactive import Prompter, QuestionaryPrompter, ask
from stackwise.advise.knowledge import load
from stackwise.advise.models import Advice, Inference
from stackwise.advise.render import FORMATS, render
from stackwise.advise.repo import RepoError, infer_answers

EXIT_OK = 0
EXIT_USAGE = 2

_EPILOG = """\
examples:
  stackwise advise                                   ask the questions in the terminal
  stackwise advise --kind api --db postgres --io-bound --team-async no
  stackwise advise --answers answers.toml --format markdown -o ADVICE.md
  stackwise advise --from-repo . --format json > advice.json
  stackwise new --from-advice advice.json myservice

answers.toml uses the flag names as keys (underscores or dashes), e.g.:
  kind = "api"
  db = "postgres"
  realtime = true
  team_async = false
"""

_NO_ANSWERS = (
    "no answers given and this is not an interactive terminal; pass --answers FILE, "
    "flags such as --kind api --db postgres, or --from-repo PATH (see stackwise advise --help)"
)


def _flag(key: str) -> str:
    return "--" + key.replace("_", "-")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `advise` sub-command."""
    kb = load()
    p = subparsers.add_parser(
        "advise",
        help="recommend a stack: framework, async or sync, libraries, jobs, layout, tests",
        description=(
            "Recommend a Python backend stack from a few answers: the framework (with its "
            "factor table), where to use async, the I/O libraries, the job runner, the project "
            "layout, typing/validation and testing, and the `stackwise new` command that "
            "scaffolds it. Every recommendation gives its reasons, the principle behind it and "
            "the alternatives it rejected. With --from-repo, the answers are inferred from an "
            "existing project and its departures from the advice are listed with migration steps."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    src = p.add_argument_group("where the answers come from")
    src.add_argument("--answers", metavar="FILE", help="a TOML file of answers")
    src.add_argument(
        "--from-repo",
        metavar="PATH",
        help="infer the answers from an existing repository (reads files, never runs the code)",
    )
    src.add_argument(
        "-i",
        "--interactive",
        action="store_true",
        help="ask, in the terminal, every question the flags and files leave open",
    )
    out = p.add_argument_group("output")
    out.add_argument("--format", choices=FORMATS, default="text", help="output format")
    out.add_argument("-o", "--output", metavar="FILE", help="write the advice to FILE")

    group = p.add_argument_group(
        "answers", "each overrides the same answer from --answers or --from-repo"
    )
    for q in kb.questions:
        dest = f"answer_{q.key}"
        if q.type == "bool":
            group.add_argument(
                _flag(q.key), dest=dest, nargs="?", const="yes", metavar="yes|no", help=q.help
            )
        elif q.type == "choice":
            group.add_argument(_flag(q.key), dest=dest, metavar="|".join(q.values), help=q.help)
        else:
            group.add_argument(_flag(q.key), dest=dest, metavar="NAME", help=q.help)
    group.add_argument(
        "--io-bound",
        action="store_true",
        help="shorthand for --workload io (with --cpu-bound: mixed)",
    )
    group.add_argument(
        "--cpu-bound",
        action="store_true",
        help="shorthand for --workload cpu (with --io-bound: mixed)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the advice; 0 on success, 2 with a message on stderr for bad or missing input."""
    try:
        text = render(_advice(args), args.format)
    except AnswerError as exc:
        for problem in exc.problems:
            print(f"stackwise advise: {problem}", file=sys.stderr)
        return EXIT_USAGE
    except (RepoError, _UsageError) as exc:
        print(f"stackwise advise: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            print(f"stackwise advise: cannot write {args.output}: {exc.strerror}", file=sys.stderr)
            return EXIT_USAGE
    else:
        sys.stdout.write(text)
    return EXIT_OK


class _UsageError(Exception):
    pass


def is_terminal() -> bool:
    """Whether prompts can be shown (stdin and stdout are both a terminal)."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def make_prompter() -> Prompter:
    return QuestionaryPrompter()


def _advice(args: argparse.Namespace) -> Advice:
    flags = _flag_answers(args)
    base = Answers()
    inference: Inference | None = None
    if args.from_repo:
        inference = infer_answers(args.from_repo)
        base = inference.answers
    if args.answers:
        base = base.merged(_file_answers(args.answers))
    answers = base.merged(flags)

    nothing_given = not (args.from_repo or args.answers or flags.given())
    if args.interactive or nothing_given:
        if not is_terminal():
            raise _UsageError("--interactive needs a terminal" if args.interactive else _NO_ANSWERS)
        answers = ask(make_prompter(), answers)
    return advise(answers, repo=inference)


def _flag_answers(args: argparse.Namespace) -> Answers:
    raw: dict[str, object] = {}
    for q in load().questions:
        value = getattr(args, f"answer_{q.key}", None)
        if value is not None:
            raw[_flag(q.key)] = value
    if args.io_bound or args.cpu_bound:
        shorthand = (
            "mixed" if args.io_bound and args.cpu_bound else "io" if args.io_bound else "cpu"
        )
        given = raw.get("--workload")
        if isinstance(given, str) and given.strip().lower() != shorthand:
            flag = "--io-bound" if args.io_bound else "--cpu-bound"
            raise AnswerError(
                [Problem("--workload", f"conflicting answers: --workload {given} and {flag}")]
            )
        raw["--workload"] = shorthand
    return Answers.from_mapping(raw, source="flags")


def _file_answers(path: str) -> Answers:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _UsageError(f"{path}: no such answers file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _UsageError(f"{path}: cannot read answers file: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise _UsageError(f"{path}: not valid TOML ({exc})") from None
    table = data.get("answers", data) if isinstance(data.get("answers"), dict) else data
    return Answers.from_mapping(table, source=path)
