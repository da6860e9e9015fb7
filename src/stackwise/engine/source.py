"""Reading, decoding and parsing one file, turning every way that can fail into a reason.

A file that cannot be analysed becomes one `SW000` finding with a reason a user can act on; it
never raises out of here. Decoding follows PEP 263 (coding cookie, UTF-8 BOM), as Python does.
"""

from __future__ import annotations

import ast
import contextlib
import io
import re
import sys
import tokenize
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

_LINE_SPLIT = re.compile(r"\r\n|\r|\n")
_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=]")  # PEP 263, loosely: is there a declaration


class Unanalysable(Exception):
    """The file cannot be analysed; `reason` says why and what to do."""

    def __init__(self, reason: str, line: int = 1, column: int = 1) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = max(1, line)
        self.column = max(1, column)


@dataclass(slots=True)
class Source:
    """Decoded text of a file, with its lines split the way Python's tokenizer splits them."""

    text: str
    _lines: list[str] | None = None
    ascii: bool = True

    @property
    def lines(self) -> list[str]:
        if self._lines is None:
            self._lines = _LINE_SPLIT.split(self.text)
        return self._lines

    def line(self, lineno: int) -> str:
        lines = self.lines
        return lines[lineno - 1] if 0 < lineno <= len(lines) else ""

    def char_column(self, lineno: int, byte_offset: int) -> int:
        """1-based character column from the parser's 0-based UTF-8 byte offset."""
        if self.ascii or byte_offset <= 0:
            return byte_offset + 1
        line = self.line(lineno)
        if line.isascii():
            return byte_offset + 1
        return len(line.encode("utf-8")[:byte_offset].decode("utf-8", "replace")) + 1


def _line_at(data: bytes, offset: int) -> int:
    """1-based line of a byte offset, counting line ends as the tokenizer does."""
    head = data[:offset]
    return head.count(b"\n") + head.count(b"\r") - head.count(b"\r\n") + 1


def decode(data: bytes) -> Source:
    """Decode source bytes as Python would (PEP 263 cookie, BOM), or raise Unanalysable."""
    if b"\x00" in data:
        line = _line_at(data, data.index(b"\x00"))
        raise Unanalysable("the file contains a NUL byte, so it is not Python source", line)
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        head = data.removeprefix(b"\xef\xbb\xbf").split(b"\n", 2)[:2]
        if not any(_COOKIE.match(line) for line in head):
            encoding = "utf-8"  # no declaration: the first lines are just not valid UTF-8
        else:
            raise Unanalysable(f"bad encoding declaration: {exc.msg}", exc.lineno or 1) from None
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        start = getattr(exc, "start", 0)
        line = _line_at(data, start)
        raise Unanalysable(
            f"not valid {encoding} (byte {start}): re-encode the file as UTF-8 or declare its "
            "encoding with a `# -*- coding: ... -*-` comment",
            line,
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return Source(text=text, ascii=text.isascii())


def parse(source: Source, filename: str) -> ast.Module:
    """Parse decoded source with the running interpreter's grammar, or raise Unanalysable.

    Warnings the compiler emits about the analysed code (invalid escape sequences and the like)
    are not ours to print, and must not turn into errors under `-W error`: they are silenced.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(source.text, filename=filename)
    except SyntaxError as exc:
        line = exc.lineno or 1
        hint = newer_syntax_hint(source.line(line), exc.msg or "")
        msg = hint or f"syntax error: {exc.msg}"
        raise Unanalysable(msg, line, exc.offset or 1) from None
    except (RecursionError, MemoryError):
        raise Unanalysable(TOO_DEEP) from None
    except ValueError as exc:  # e.g. NUL bytes on some versions
        raise Unanalysable(f"cannot parse: {exc}") from None


def parses(source: Source, filename: str) -> bool:
    """Whether the source is sure to parse, checked without building the syntax tree.

    `symtable` runs the same parser as `ast.parse` in C, without making a Python object per
    node: about half the time. Its answer is one-sided: it also rejects a few things that
    `ast.parse` accepts (`nonlocal` at module level...), so False only means "parse it to find
    out", never "SW000"."""
    import symtable

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            symtable.symtable(source.text, filename, "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


TOO_DEEP = (
    "the code is nested too deeply for stackwise to analyse (it stops at the depth Python's own "
    "parser allows); stackwise skipped the file"
)
"""The one reason given for any nesting problem, from the parser or from the analysis, so that
where exactly the limit was hit cannot change the output."""

RECURSION_HEADROOM = 1000
"""Python frames available to the analysis of one file, whatever the caller's stack depth."""


def _stack_depth() -> int:
    depth = 0
    frame = sys._getframe(1)
    while frame is not None:
        depth += 1
        frame = frame.f_back  # type: ignore[assignment]
    return depth


@contextlib.contextmanager
def fixed_recursion_headroom() -> Iterator[None]:
    """Give the code inside the same recursion headroom whatever the caller's stack depth.

    On Python 3.11 how deep `ast.parse` may nest depends on how deep the caller's stack already
    is, and so does when a recursive rule hits `RecursionError`; a file near that limit would
    then give different results in a worker process (shallow stack) and in the main process or
    under a test runner (deeper stack). Setting the limit relative to the current depth makes
    the outcome the same everywhere. Restored on exit.
    """
    old = sys.getrecursionlimit()
    new = _stack_depth() + RECURSION_HEADROOM
    try:
        sys.setrecursionlimit(new)
    except (RecursionError, ValueError):  # pragma: no cover - already deeper than that
        yield
        return
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


_NEWER = (
    (re.compile(r"^\s*(?:(?:async\s+)?def|class|type)\s+\w+\s*\[[^\]]*="),
     "type parameter defaults (PEP 696)", (3, 13)),
    (re.compile(r"^\s*type\s+\w+\s*(\[.*\])?\s*="), "a `type` alias statement (PEP 695)", (3, 12)),
    (re.compile(r"^\s*(async\s+)?def\s+\w+\s*\["), "generic function parameters (PEP 695)", (3, 12)),
    (re.compile(r"^\s*class\s+\w+\s*\["), "generic class parameters (PEP 695)", (3, 12)),
    (re.compile(r"^\s*except\s*\*"), "`except*` (PEP 654)", (3, 11)),
    (re.compile(r"^\s*except\s+[\w.]+\s*,\s*[\w.]"), "`except` with unparenthesised types "
     "(PEP 758)", (3, 14)),
    (re.compile(r"(?<![\w'\"])[tT][rR]?[\"']"), "a template string (PEP 750)", (3, 14)),
)


_FSTRING_PREFIX = re.compile(r"(?<![\w'\"])[rR]?[fF][rR]?['\"]")
_PEP701_SURE = ("cannot include a backslash", "cannot include '#'")
_PEP701_MAYBE = ("expecting '}'", "unmatched", "unterminated string", "unterminated triple-quoted",
                 "f-string: invalid syntax")


def newer_syntax_hint(line: str, msg: str) -> str:
    """If a syntax error is newer syntax than this interpreter knows, say which and what to do."""
    current = sys.version_info[:2]
    for pattern, construct, needed in _NEWER:
        if current < needed and pattern.search(line):
            return _hint(construct, needed)
    if current < (3, 12) and _FSTRING_PREFIX.search(line):
        if any(s in msg for s in _PEP701_SURE):
            return _hint("f-string syntax from PEP 701 (a backslash or a comment inside a "
                         "replacement field)", (3, 12))
        if any(s in msg for s in _PEP701_MAYBE):
            return (f"syntax error: {msg}; " + _hint(
                "f-string syntax from PEP 701 (the same quotes, backslashes, comments or line "
                "breaks inside replacement fields)", (3, 12), maybe=True))
    return ""


def _hint(construct: str, needed: tuple[int, int], maybe: bool = False) -> str:
    need = f"{needed[0]}.{needed[1]}"
    cur = f"{sys.version_info[0]}.{sys.version_info[1]}"
    uses = f"if the file uses {construct}, that" if maybe else f"uses {construct}, which"
    return (
        f"{uses} needs Python {need}+ but stackwise is running on Python {cur}: "
        f"run stackwise under Python {need} or newer (e.g. `python{need} -m stackwise check`)"
    )
