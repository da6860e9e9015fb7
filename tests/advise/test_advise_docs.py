"""The output samples in docs/advise.md are real: each is re-run and compared.

After changing knowledge.toml or the renderers, refresh them with
`STACKWISE_UPDATE_DOCS=1 python -m pytest tests/advise/test_advise_docs.py`.
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import pytest

from stackwise.cli import main

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "advise.md"
SAMPLE = re.compile(r"(<!-- sample: (?P<args>.+?) -->\n```\w*\n)(?P<body>.*?)(```)", re.DOTALL)


def _output(args: str, capsys: pytest.CaptureFixture[str]) -> str:
    argv = shlex.split(args)
    assert argv[0] == "stackwise"
    assert main(argv[1:]) == 0
    return capsys.readouterr().out


def test_doc_samples_match_the_tool(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    text = DOC.read_text(encoding="utf-8")
    samples = list(SAMPLE.finditer(text))
    assert len(samples) >= 2
    if os.environ.get("STACKWISE_UPDATE_DOCS"):
        updated = SAMPLE.sub(
            lambda m: m.group(1) + _output(m.group("args"), capsys) + m.group(4), text
        )
        DOC.write_text(updated, encoding="utf-8")
        return
    for match in samples:
        assert match.group("body") == _output(match.group("args"), capsys), (
            f"docs/advise.md sample `{match.group('args')}` is stale; "
            "rerun with STACKWISE_UPDATE_DOCS=1"
        )
