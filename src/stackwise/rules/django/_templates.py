"""Django template language: a lexer matching `django.template.base.Lexer`, and a small parser.

The lexer splits a template into TEXT, VAR, BLOCK and COMMENT tokens exactly as Django does
(tags never span lines, the shortest match wins, `{% verbatim %}` blocks are text), by scanning
rather than with Django's regular expression, and keeps where each token starts so that a
finding can point at a column. The parser builds the few nodes the DJA rules need: `for`
(with `empty`), `with`, `if`, `ifchanged`, `include`, `regroup`, `blocktranslate`, variables
with filters, and the arguments of the built-in tags that read variables. A template Django
would refuse to compile (an unclosed `for`, an empty `{{ }}`) parses to None.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum


class Kind(IntEnum):
    """Token kinds, numbered like `django.template.base.TokenType`."""

    TEXT = 0
    VAR = 1
    BLOCK = 2
    COMMENT = 3


@dataclass(frozen=True, slots=True)
class Token:
    kind: Kind
    contents: str
    line: int  # 1-based, as Django counts it
    column: int  # 1-based character column where `contents` starts
    start: int  # offset of `contents` in the template


_CLOSE = {"%": "%}", "{": "}}", "#": "#}"}


def tokenize(source: str) -> list[Token]:
    """The token stream `django.template.base.Lexer(source).tokenize()` produces."""
    out: list[Token] = []
    n = len(source)
    last = 0  # end of the previous tag
    line = 1
    line_start = 0
    verbatim: str | None = None
    i = source.find("{")
    while 0 <= i < n - 1:
        close = _CLOSE.get(source[i + 1])
        if close is None:
            i = source.find("{", i + 1)
            continue
        nl = source.find("\n", i + 2)
        j = source.find(close, i + 2, n if nl < 0 else nl)
        if j < 0:
            i = source.find("{", i + 1)
            continue
        if i > last:
            text = source[last:i]
            out.append(Token(Kind.TEXT, text, line, last - line_start + 1, last))
            breaks = text.count("\n")
            if breaks:
                line += breaks
                line_start = last + text.rfind("\n") + 1
        end = j + 2
        raw = source[i + 2: j]
        content = raw.strip()
        offset = i + 2 + (len(raw) - len(raw.lstrip()))
        column = offset - line_start + 1
        opener = source[i + 1]
        if opener == "%":
            if verbatim is not None and content != verbatim:
                out.append(Token(Kind.TEXT, source[i:end], line, i - line_start + 1, i))
            else:
                if verbatim is not None:
                    verbatim = None
                elif content[:9] in ("verbatim", "verbatim "):
                    verbatim = "end" + content
                out.append(Token(Kind.BLOCK, content, line, column, offset))
        elif verbatim is not None:
            out.append(Token(Kind.TEXT, source[i:end], line, i - line_start + 1, i))
        else:
            kind = Kind.VAR if opener == "{" else Kind.COMMENT
            out.append(Token(kind, content, line, column, offset))
        last = end
        i = source.find("{", end)
    if last < n:
        out.append(Token(Kind.TEXT, source[last:], line, last - line_start + 1, last))
    return out


# -- splitting tag contents -----------------------------------------------------------------------


def _quoted_end(s: str, q: int) -> int:
    """The offset after the string literal opened at `s[q]`, or -1 when it is not closed."""
    quote = s[q]
    j = q + 1
    n = len(s)
    while j < n:
        c = s[j]
        if c == "\\":
            if j + 1 >= n or s[j + 1] == "\n":
                return -1
            j += 2
        elif c == quote:
            return j + 1
        else:
            j += 1
    return -1


def _bit_end(s: str, p: int) -> int:
    """Where the bit starting at `p` ends, like `django.utils.text.smart_split`."""
    n = len(s)
    q = p
    while q < n and not s[q].isspace() and s[q] not in "'\"":
        q += 1
    quoted = False
    while q < n and s[q] in "'\"":
        close = _quoted_end(s, q)
        if close < 0:
            break
        q = close
        quoted = True
        while q < n and not s[q].isspace() and s[q] not in "'\"":
            q += 1
    if quoted:
        return q
    q = p
    while q < n and not s[q].isspace():
        q += 1
    return q


def split_contents(contents: str) -> list[tuple[str, int]]:
    """`Token.split_contents()`, with the offset of each bit in `contents`."""
    bits: list[tuple[str, int]] = []
    p = 0
    n = len(contents)
    while p < n:
        if contents[p].isspace():
            p += 1
            continue
        end = _bit_end(contents, p)
        bits.append((contents[p:end], p))
        p = end
    out: list[tuple[str, int]] = []
    k = 0
    while k < len(bits):
        bit, at = bits[k]
        k += 1
        if bit.startswith(('_("', "_('")):
            sentinel = bit[2] + ")"
            first = at
            parts = [bit]
            while not bit.endswith(sentinel) and k < len(bits):
                bit = bits[k][0]
                k += 1
                parts.append(bit)
            out.append((" ".join(parts), first))
        else:
            out.append((bit, at))
    return out


# -- variables and filters ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Var:
    """A variable read: `book.author.name`, with the place of every dotted part."""

    parts: tuple[str, ...]
    line: int
    columns: tuple[tuple[int, int], ...]  # (start, end) 1-based columns of each part

    @property
    def name(self) -> str:
        return self.parts[0]


@dataclass(frozen=True, slots=True)
class Expr:
    """A filter expression: its head (a variable, or None for a literal) and its filters."""

    var: Var | None
    filters: tuple[tuple[str, Var | None], ...] = ()

    def reads(self) -> list[Var]:
        out = [self.var] if self.var is not None else []
        out += [arg for _, arg in self.filters if arg is not None]
        return out


def _constant_end(s: str, p: int) -> int:
    """End of a string constant (`"x"`, `'x'`, `_("x")`) at `p`, or -1."""
    if s.startswith(('_("', "_('"), p):
        end = _quoted_end(s, p + 2)
        if end > 0 and s.startswith(")", end):
            return end + 1
        return -1
    if p < len(s) and s[p] in "'\"":
        return _quoted_end(s, p)
    return -1


def _word_end(s: str, p: int) -> int:
    n = len(s)
    while p < n and (s[p].isalnum() or s[p] == "_"):
        p += 1
    return p


def _var_end(s: str, p: int) -> int:
    """End of `[\\w.]+`, or of a number like `-1.5e3` (`[-+.]?\\d[\\d.e]*`), or -1."""
    n = len(s)
    q = p
    while q < n and (s[q].isalnum() or s[q] in "_."):
        q += 1
    if q > p:
        return q
    q = p
    if q < n and s[q] in "-+.":
        q += 1
    if q < n and s[q].isdecimal():
        q += 1
        while q < n and (s[q].isdecimal() or s[q] in ".e"):
            q += 1
        return q
    return -1


def _make_var(text: str, line: int, column: int) -> Var | None:
    """A `Var` for `text` at `column`, None for a number or a name Django rejects."""
    if not text or text[0].isdecimal() or text[0] in "-+." or "._" in text or text[0] == "_":
        return None
    try:
        float(text)
        return None
    except ValueError:
        pass
    parts = text.split(".")
    if any(not p for p in parts):
        return None
    cols: list[tuple[int, int]] = []
    at = column
    for p in parts:
        cols.append((at, at + len(p)))
        at += len(p) + 1
    return Var(tuple(parts), line, tuple(cols))


class TemplateError(Exception):
    """The template would not compile in Django: it is not analysed."""


def parse_expr(text: str, line: int, column: int) -> Expr:
    """A filter expression (`book.author.name|default:"-"`) starting at `column` of `line`;
    raises `TemplateError` where Django's `FilterExpression` would."""
    n = len(text)
    head: Var | None = None
    end = _constant_end(text, 0)
    if end < 0:
        end = _var_end(text, 0)
        if end < 0:
            raise TemplateError(f"could not parse {text!r}")
        head = _make_var(text[:end], line, column)
        if (head is None and text[0] == "_") or "._" in text[:end]:
            raise TemplateError(f"variables may not begin with underscores: {text!r}")
    p = end
    filters: list[tuple[str, Var | None]] = []
    while p < n:
        q = p
        while q < n and text[q].isspace():
            q += 1
        if q >= n or text[q] != "|":
            raise TemplateError(f"could not parse the remainder of {text!r}")
        q += 1
        while q < n and text[q].isspace():
            q += 1
        name_end = _word_end(text, q)
        if name_end == q:
            raise TemplateError(f"could not parse the remainder of {text!r}")
        name = text[q:name_end]
        p = name_end
        arg: Var | None = None
        if p < n and text[p] == ":":
            a_end = _constant_end(text, p + 1)
            if a_end < 0:
                a_end = _var_end(text, p + 1)
                if a_end < 0:
                    raise TemplateError(f"could not parse the remainder of {text!r}")
                arg = _make_var(text[p + 1: a_end], line, column + p + 1)
            p = a_end
        filters.append((name, arg))
    return Expr(head, tuple(filters))


# -- the tree -------------------------------------------------------------------------------------


@dataclass
class Node:
    """A node of the template: what it reads, what it binds and its children."""

    tag: str  # "var", "for", "with", "include", "regroup", "ifchanged", "tag", "block", "call"
    line: int
    column: int
    reads: list[Expr] = field(default_factory=list)
    body: list[Node] = field(default_factory=list)
    other: list[Node] = field(default_factory=list)  # `{% empty %}`/`{% else %}` branch
    # for: loop variables; with/blocktranslate/include: names bound to `reads` in order;
    # regroup/`as` targets: the name bound; call: each argument's keyword ("" if positional)
    names: list[str] = field(default_factory=list)
    # include: the template name when it is a literal; call: the tag's name; for: `reversed`;
    # include: `only`
    arg: str = ""
    flag: bool = False


# tags that end a block, with the tag that opens it
_ENDS = {
    "endfor": "for", "empty": "for", "endif": "if", "elif": "if", "else": "if",
    "endwith": "with", "endifchanged": "ifchanged", "endblocktrans": "blocktrans",
    "endblocktranslate": "blocktranslate", "plural": "blocktrans",
    "endifequal": "ifequal", "endifnotequal": "ifnotequal",
}
_IF_OPERATORS = frozenset({"and", "or", "not", "in", "is", "==", "!=", "<", ">", "<=", ">=",
                           "=", "<>"})


# tags of Django itself (builtins, i18n, l10n, tz, static, cache): never a project's tag
_DJANGO_TAGS = frozenset({
    "autoescape", "endautoescape", "block", "endblock", "csrf_token", "debug", "extends",
    "load", "lorem", "now", "resetcycle", "spaceless", "endspaceless", "templatetag",
    "verbatim", "endverbatim", "querystring", "partialdef", "endpartialdef", "partial",
    "trans", "translate", "language", "endlanguage", "get_current_language",
    "get_current_language_bidi", "get_available_languages", "get_language_info",
    "get_language_info_list", "localize", "endlocalize", "localtime", "endlocaltime",
    "timezone", "endtimezone", "get_current_timezone", "static", "get_static_prefix",
    "get_media_prefix", "cache", "endcache",
})


def _kwarg_key(bit: str) -> str | None:
    """The key of a `key=value` bit (`(?:(\\w+)=)?(.+)` in Django), or None."""
    key, eq, value = bit.partition("=")
    if eq and value and key and all(c.isalnum() or c == "_" for c in key):
        return key
    return None


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.i = 0

    def expr(self, token: Token, bit: str, at: int) -> Expr:
        return parse_expr(bit, token.line, token.column + at)

    def parse(self, until: frozenset[str]) -> tuple[list[Node], str, Token | None]:
        nodes: list[Node] = []
        while self.i < len(self.tokens):
            tok = self.tokens[self.i]
            self.i += 1
            if tok.kind == Kind.VAR:
                if not tok.contents:
                    raise TemplateError("empty variable tag")
                nodes.append(Node("var", tok.line, tok.column, [self.expr(tok, tok.contents, 0)]))
                continue
            if tok.kind != Kind.BLOCK:
                continue
            if not tok.contents:
                raise TemplateError("empty block tag")
            bits = split_contents(tok.contents)
            command = tok.contents.split()[0]
            if command in until:
                return nodes, command, tok
            if command in _ENDS and command not in ("else", "elif", "plural"):
                raise TemplateError(f"unexpected {command!r}")
            node = self.tag(command, bits, tok)
            if node is not None:
                nodes.append(node)
        if until:
            raise TemplateError(f"unclosed tag, expected one of {sorted(until)}")
        return nodes, "", None

    def block(self, until: frozenset[str], *more: str) -> tuple[list[Node], list[Node]]:
        """The body up to `until` or one of `more` (a middle tag), and the part after it."""
        body, end, _ = self.parse(until | frozenset(more))
        other: list[Node] = []
        while end in more:
            part, end, _ = self.parse(until | frozenset(more))
            other += part
        return body, other

    def tag(self, command: str, bits: list[tuple[str, int]], tok: Token) -> Node | None:
        args = bits[1:]
        names: list[str] = []
        reads: list[Expr] = []
        if command == "comment":
            while self.i < len(self.tokens):
                t = self.tokens[self.i]
                self.i += 1
                if t.kind == Kind.BLOCK and t.contents == "endcomment":
                    return None
            raise TemplateError("unclosed comment")
        if command == "for":
            return self.for_tag(args, tok)
        if command == "if":
            node = Node("block", tok.line, tok.column, self.if_reads(args, tok))
            body, end, etok = self.parse(frozenset({"elif", "else", "endif"}))
            node.body = body
            while end != "endif":
                assert etok is not None
                if end == "elif":
                    node.reads += self.if_reads(split_contents(etok.contents)[1:], etok)
                part, end, etok = self.parse(frozenset({"elif", "else", "endif"}))
                node.other += part
            return node
        if command == "with":
            rest = list(args)
            names, reads = self.kwargs(rest, tok, legacy=True)
            if not names or rest:
                raise TemplateError("with expects name=value arguments")
            body, _ = self.block(frozenset({"endwith"}))
            return Node("with", tok.line, tok.column, reads, body, names=names)
        if command == "ifchanged":
            reads = [self.expr(tok, b, at) for b, at in args]
            body, other = self.block(frozenset({"endifchanged"}), "else")
            return Node("ifchanged", tok.line, tok.column, reads, body, other)
        if command in ("ifequal", "ifnotequal"):
            reads = [self.expr(tok, b, at) for b, at in args[:2]]
            body, other = self.block(frozenset({"end" + command}), "else")
            return Node("block", tok.line, tok.column, reads, body, other)
        if command in ("blocktrans", "blocktranslate"):
            rest = list(args)
            while rest:
                word = rest.pop(0)[0]
                if word in ("with", "count"):
                    n, r = self.kwargs(rest, tok, legacy=True)
                    if not n:
                        raise TemplateError(f"{command} {word} needs arguments")
                    names += n
                    reads += r
                elif word in ("context", "asvar") and rest:
                    if word == "asvar":
                        names.append(rest[0][0])
                    rest.pop(0)
            body, other = self.block(frozenset({"end" + command}), "plural")
            return Node("with", tok.line, tok.column, reads, body + other, names=names)
        if command == "include":
            if not args:
                raise TemplateError("include needs a template name")
            name = args[0][0]
            literal = name[1:-1] if len(name) >= 2 and name[0] == name[-1] and (
                name[0] in "'\"") else ""
            rest = list(args[1:])
            only = False
            keys: list[str] = []
            values: list[Expr] = []
            while rest:
                option = rest.pop(0)[0]
                if option == "with":
                    n, r = self.kwargs(rest, tok, legacy=False)
                    if not n:
                        raise TemplateError("include with needs arguments")
                    keys += n
                    values += r
                elif option == "only":
                    only = True
                else:
                    raise TemplateError(f"unknown include option {option!r}")
            if not literal:
                values.append(self.expr(tok, *args[0]))
            return Node("include", tok.line, tok.column, values, names=keys, arg=literal,
                        flag=only)
        if command == "regroup":
            # {% regroup books by author.name as grouped %}
            if len(args) != 5 or args[1][0] != "by" or args[3][0] != "as":
                raise TemplateError("regroup expects `x by y as z`")
            return Node("regroup", tok.line, tok.column,
                        [self.expr(tok, *args[0]), self.expr(tok, *args[2])],
                        names=[args[4][0]])
        if command in ("url", "firstof", "cycle", "widthratio", "filter"):
            # arguments are variables; `as name` binds a new one
            bound: list[str] = []
            k = 0
            while k < len(args):
                b, at = args[k]
                if b == "as" and k + 1 < len(args):
                    bound.append(args[k + 1][0])
                    break
                if command == "filter" or b == "silent":
                    k += 1
                    continue
                if "=" in b and b.split("=", 1)[0].isidentifier():
                    key = b.split("=", 1)[0]
                    reads.append(self.expr(tok, b[len(key) + 1:], at + len(key) + 1))
                else:
                    reads.append(self.expr(tok, b, at))
                k += 1
            return Node("tag", tok.line, tok.column, reads, names=bound)
        # any other tag: what it reads is unknown; `as name` rebinds a name
        bound = [args[k + 1][0] for k in range(len(args) - 1) if args[k][0] == "as"]
        if bound:
            return Node("tag", tok.line, tok.column, [], names=bound[-1:])
        return self.call(command, args, tok)

    def call(self, command: str, args: list[tuple[str, int]], tok: Token) -> Node | None:
        """A tag of a library (`{% show_changes last_changes user=user %}`): its arguments as
        expressions, with the `name=` of each keyword argument ("" for positional ones), in
        case it is a template tag of the project; None when a bit is not an expression."""
        if command in _DJANGO_TAGS:
            return None
        keys: list[str] = []
        values: list[Expr] = []
        try:
            for bit, at in args:
                key = _kwarg_key(bit)
                if key is None:
                    keys.append("")
                    values.append(self.expr(tok, bit, at))
                else:
                    keys.append(key)
                    values.append(self.expr(tok, bit[len(key) + 1:], at + len(key) + 1))
        except TemplateError:
            return None
        return Node("call", tok.line, tok.column, values, names=keys, arg=command)

    def kwargs(self, bits: list[tuple[str, int]], tok: Token,
               legacy: bool) -> tuple[list[str], list[Expr]]:
        """`django.template.base.token_kwargs`: consumes `a=x b=y` (or, legacy, `x as a and
        y as b`) from the front of `bits`; the names and the expressions bound to them."""
        names: list[str] = []
        reads: list[Expr] = []
        if not bits:
            return names, reads
        keyword = _kwarg_key(bits[0][0]) is not None
        if not keyword and (not legacy or len(bits) < 3 or bits[1][0] != "as"):
            return names, reads
        while bits:
            if keyword:
                bit, at = bits[0]
                key = _kwarg_key(bit)
                if key is None:
                    break
                value, value_at = bit[len(key) + 1:], at + len(key) + 1
                del bits[:1]
            else:
                if len(bits) < 3 or bits[1][0] != "as":
                    break
                key = bits[2][0]
                value, value_at = bits[0]
                del bits[:3]
            names.append(key)
            reads.append(self.expr(tok, value, value_at))
            if bits and not keyword:
                if bits[0][0] != "and":
                    break
                del bits[:1]
        return names, reads

    def for_tag(self, args: list[tuple[str, int]], tok: Token) -> Node:
        if len(args) < 3:
            raise TemplateError("for needs at least `x in y`")
        flag = args[-1][0] == "reversed"
        idx = -3 if flag else -2
        if args[idx][0] != "in":
            raise TemplateError("for needs `in`")
        names = [v.strip() for v in " ".join(b for b, _ in args[:idx]).split(",")]
        if any(not v or " " in v for v in names):
            raise TemplateError("bad for loop variables")
        seq = self.expr(tok, *args[idx + 1])
        body, other = self.block(frozenset({"endfor"}), "empty")
        return Node("for", tok.line, tok.column, [seq], body, other, names=names, flag=flag)

    def if_reads(self, args: list[tuple[str, int]], tok: Token) -> list[Expr]:
        return [self.expr(tok, b, at) for b, at in args if b not in _IF_OPERATORS]


def parse(source: str) -> list[Node] | None:
    """The node tree of a template, or None when Django would not compile it."""
    parser = _Parser(tokenize(source))
    try:
        nodes, _, _ = parser.parse(frozenset())
    except (TemplateError, IndexError):
        return None
    return nodes


def walk(nodes: list[Node]) -> list[Node]:
    """Every node of a tree, depth first, in source order."""
    out: list[Node] = []
    stack = list(reversed(nodes))
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(reversed(node.body + node.other))
    return out
