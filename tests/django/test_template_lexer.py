"""The template lexer and parser of the DJA rules agree with Django's own on tricky templates."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stackwise.rules.django._templates import (
    Kind,
    TemplateError,
    parse,
    parse_expr,
    split_contents,
    tokenize,
)

django_base = pytest.importorskip("django.template.base")
django_template = pytest.importorskip("django.template")
django_exceptions = pytest.importorskip("django.template.exceptions")

SAMPLES = [
    "",
    "plain text",
    "{{ book.title }}",
    "a {{ x }} b {% if y %}c{% endif %} d {# note #} e",
    "{{ a }}}",
    "{{{ a }}",
    "{{ a }",
    "{% a %",
    "{%%}",
    "{{}}",
    "{##}",
    "{% for b in books %}\n  {{ b.author.name }}\n{% endfor %}\n",
    "{{ not\nclosed }} but {{ this }} is",
    "{# a comment\nover two lines #}{{ after }}",
    "{% comment %}\n{{ hidden.author.name }}\n{% endcomment %}",
    "{% verbatim %}{{ raw }}{% if %}{# c #}{% endverbatim %}{{ cooked }}",
    "{% verbatim x %}{% endverbatim %}{{ still_raw }}{% endverbatim x %}{{ cooked }}",
    "{% verbatim  %}{% endverbatim %}",
    "{% verbatimx %}{{ y }}",
    "{%  for  x  in  y  %}",
    "{{ '}}' }}",
    "{% if a %}{% endif %}{% %}",
    "{{ a|default:'{{' }} {{ b }}",
    "\r\n{{ a }}\r\n{% b\r %}",
    "{{ a\r }}",
    "{ {{ a }} }{ % b % }{{",
    "{{ é.ü }} {% trans 'ça' %}",
    "{#{{ a }}#}{{ b }}",
    "{% blocktranslate with a=b.c %}{{ a }}{% endblocktranslate %}",
    "{% verbatim %}\n{% endverbatim %}\n{% endverbatim %}",
    "text\n\n{{ x }}\n{%x%}\n\n{#y#}\nend\n",
]


def _django(source: str) -> list[tuple[int, str, int]]:
    tokens = django_base.Lexer(source).tokenize()
    return [(t.token_type.value, t.contents, t.lineno) for t in tokens]


def _ours(source: str) -> list[tuple[int, str, int]]:
    return [(int(t.kind), t.contents, t.line) for t in tokenize(source)]


@pytest.mark.parametrize("source", SAMPLES)
def test_same_tokens_as_django(source: str) -> None:
    assert _ours(source) == _django(source)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="{}%# ab.\n\r'\"|:", max_size=60))
def test_same_tokens_as_django_on_random_text(source: str) -> None:
    assert _ours(source) == _django(source)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["{% verbatim %}", "{% endverbatim %}", "{{ a }}", "{# c #}",
                                 "{% verbatim v %}", "{% endverbatim v %}", "x", "\n", "{%",
                                 "%}", "{{", "}}"]), max_size=12))
def test_same_tokens_as_django_around_verbatim(parts: list[str]) -> None:
    source = "".join(parts)
    assert _ours(source) == _django(source)


def test_columns_point_at_the_contents() -> None:
    source = "<li>{{  book.author.name }}</li>\n  {% for b in books %}"
    var, block = [t for t in tokenize(source) if t.kind in (Kind.VAR, Kind.BLOCK)]
    assert (var.line, var.column) == (1, 9)
    assert source.splitlines()[0][var.column - 1:].startswith("book.author")
    assert (block.line, block.column) == (2, 6)


@pytest.mark.parametrize("contents", [
    'for x in y', 'with a="b c" d=e', "trans 'it''s' as t", 'url "a b" c=d|e:"f g"',
    '_("x y") z', 'a "b\\" c" d', "x'y z'w v", 'a"x y"b"c', "  lead  trail  ",
])
def test_split_contents_matches_django(contents: str) -> None:
    token = django_base.Token(django_base.TokenType.BLOCK, contents)
    assert [b for b, _ in split_contents(contents)] == token.split_contents()


@pytest.mark.parametrize("text", [
    "book.author.name", "book.author.name|default:'-'", "b.tags.all|length",
    "x|date:\"Y-m-d\"|upper", "x | upper", "x|default:other.name", "'literal'|upper",
    "_('lit')", "5", "-1.5|add:2", "a.0.b",
])
def test_variable_parts_match_django(text: str) -> None:
    engine = django_template.Engine()
    parser = django_base.Parser([], builtins=engine.template_builtins)
    fe = django_base.FilterExpression(text, parser)
    ours = parse_expr(text, 1, 1)
    django_lookups = getattr(fe.var, "lookups", None)
    assert (ours.var.parts if ours.var else None) == django_lookups
    django_args = [getattr(arg, "lookups", None) for _, args in fe.filters
                   for lookup, arg in args if lookup]
    assert [a.parts for a in ours.reads()[1 if ours.var else 0:]] == [
        a for a in django_args if a is not None]


@pytest.mark.parametrize("text", ["a b", "|upper", "a|", "a|upper:", "_private",
                                  "a._b"])
def test_bad_variables_fail_like_django(text: str) -> None:
    engine = django_template.Engine()
    parser = django_base.Parser([], builtins=engine.template_builtins)
    with pytest.raises(django_exceptions.TemplateSyntaxError):
        django_base.FilterExpression(text, parser)
    with pytest.raises(TemplateError):
        parse_expr(text, 1, 1)


def test_parser_scopes_and_reads() -> None:
    nodes = parse(
        "{% for b in books %}{% with a=b.author %}{{ a.name }}{% endwith %}"
        "{% empty %}{{ none.x }}{% endfor %}"
        "{% comment %}{% for c in hidden %}{% endcomment %}"
        "{% verbatim %}{% for v in raw %}{% endverbatim %}")
    assert nodes is not None
    (loop,) = nodes
    assert loop.tag == "for" and loop.names == ["b"]
    assert loop.reads[0].var is not None and loop.reads[0].var.parts == ("books",)
    (with_node,) = loop.body
    assert with_node.names == ["a"] and with_node.reads[0].reads()[0].parts == ("b", "author")
    assert [n.reads[0].reads()[0].parts for n in loop.other] == [("none", "x")]


@pytest.mark.parametrize("source", [
    "{% for b in books %}",  # unclosed
    "{{ }}",
    "{% endfor %}",
    "{% for b in books %}{% endwith %}{% endfor %}",
    "{% with %}{% endwith %}",
])
def test_templates_django_rejects_are_not_analysed(source: str) -> None:
    assert parse(source) is None


def test_a_library_tag_is_a_call_with_its_arguments() -> None:
    nodes = parse('{% load shop_tags i18n %}{% trans "Hi" %}{% block main %}'
                  '{% show_changes last_changes user=request.user in_email="yes" %}'
                  '{% endblock %}')
    assert nodes is not None
    (call,) = nodes  # Django's own tags (load, trans, block) are not calls
    assert (call.tag, call.arg, call.names) == ("call", "show_changes", ["", "user", "in_email"])
    assert [e.var.parts if e.var else None for e in call.reads] == [
        ("last_changes",), ("request", "user"), None]


def test_a_call_whose_bits_are_no_expressions_is_left_out() -> None:
    nodes = parse("{% show_changes last_changes|%}")
    assert nodes == []


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([
    "{% show a %}", "{% show a=b c %}", "{% show a= %}", "{% show =a %}", "{% show a|f:'x' %}",
    "{% show 'q %}", "{% for x in y %}", "{% endfor %}", "{% if a %}", "{% endif %}", "{{ a.b }}",
    "{% with a=b %}", "{% endwith %}", "{% tag x as y %}", "x", "\n", "{%", "%}", "=", "'",
]), max_size=10))
def test_the_parser_never_raises(parts: list[str]) -> None:
    # a template it cannot read is None (skipped); anything else is a list of nodes
    nodes = parse("".join(parts))
    assert nodes is None or isinstance(nodes, list)
