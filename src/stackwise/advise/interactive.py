"""Ask the advisor's questions in a terminal (arrow keys, defaults) and collect the answers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from stackwise.advise.answers import Answers
from stackwise.advise.knowledge import Value, load


class Prompter(Protocol):
    """How questions reach the user; each method returns None when the user cancels."""

    def select(
        self, message: str, choices: Sequence[tuple[str, str]], default: str | None
    ) -> str | None: ...

    def confirm(self, message: str, default: bool) -> bool | None: ...

    def text(self, message: str, default: str) -> str | None: ...


class QuestionaryPrompter:
    """The terminal prompter, built on questionary."""

    def select(
        self, message: str, choices: Sequence[tuple[str, str]], default: str | None
    ) -> str | None:
        import questionary

        options = [questionary.Choice(title=label, value=value) for value, label in choices]
        answer: str | None = questionary.select(message, choices=options, default=default).ask()
        return answer

    def confirm(self, message: str, default: bool) -> bool | None:
        import questionary

        answer: bool | None = questionary.confirm(message, default=default).ask()
        return answer

    def text(self, message: str, default: str) -> str | None:
        import questionary

        answer: str | None = questionary.text(message, default=default).ask()
        return answer


def ask(prompter: Prompter, given: Answers | None = None) -> Answers:
    """Ask every question that `given` leaves open and that applies to the answers so far.

    Questions that do not apply (e.g. job details when there are no jobs) are skipped and keep
    their defaults. Raises KeyboardInterrupt if the user cancels.
    """
    kb = load()
    answers = given or Answers()
    ctx: dict[str, Value] = dict(answers.given())
    asked: dict[str, Value] = {}
    for q in kb.questions:
        if q.key in ctx:
            continue
        if not q.ask_when.matches(ctx):
            if q.default is not None:
                ctx[q.key] = q.default
            continue
        value: Value | None
        if q.type == "choice":
            default = q.default if isinstance(q.default, str) else None
            value = prompter.select(q.prompt, [(c.value, c.label) for c in q.choices], default)
        elif q.type == "bool":
            value = prompter.confirm(q.prompt, bool(q.default))
        else:
            value = prompter.text(q.prompt, "")
            if value is not None and not value.strip():
                continue  # left empty: not answered
        if value is None:
            raise KeyboardInterrupt
        ctx[q.key] = value
        asked[q.key] = value
    return answers.merged(Answers.from_mapping(asked, source="prompts"))
