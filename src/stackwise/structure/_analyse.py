"""Discover and analyse a tree with only the fact collectors a report needs, then link it.

`stackwise types` and `stackwise layout` read the same facts `stackwise check` builds, but need
none of the findings: each file is parsed once, with only the collectors asked for.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from stackwise.config import Settings, find_root, load_settings
from stackwise.engine.discover import Discovery, SourceFile
from stackwise.engine.extract import analyse_source
from stackwise.engine.facts import FileFacts
from stackwise.engine.project import Project
from stackwise.rules._api import Rule


@dataclass
class Analysed:
    root: Path
    settings: Settings
    files: list[SourceFile]
    project: Project
    warnings: list[str] = field(default_factory=list)


def project_root(paths: Sequence[Path], root: str | os.PathLike[str] | None) -> Path:
    if root is not None:
        return Path(root).resolve()
    return find_root((paths[0] if paths else Path(".")).resolve())


def analyse(
    paths: Iterable[str | os.PathLike[str]],
    *,
    rules: Sequence[type[Rule]] = (),
    settings: Settings | None = None,
    root: str | os.PathLike[str] | None = None,
    parse: bool = True,
) -> Analysed:
    """Facts for every Python file under `paths` (parsed only when `parse`)."""
    path_list = [Path(p) for p in paths] or [Path(".")]
    top = project_root(path_list, root)
    if settings is None:
        settings = load_settings(top)
    discovery = Discovery(top, settings)
    files = discovery.files(path_list)
    warnings = list(discovery.warnings)
    facts: dict[str, FileFacts] = {}
    for sf in files:
        if not parse:
            facts[sf.display] = FileFacts(sf.module, sf.is_package)
            continue
        try:
            if os.stat(sf.fs_path).st_size > settings.max_file_size:
                warnings.append(f"{sf.display}: over max-file-size, skipped")
                continue
            with open(sf.fs_path, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            warnings.append(f"{sf.display}: cannot read: {exc.strerror or exc}")
            continue
        result = analyse_source(data, sf.display, sf.module, sf.is_package, settings, rules)
        raw = result["facts"]
        if raw is None:
            warnings.append(f"{sf.display}: could not analyse (run `stackwise check` for why)")
            continue
        facts[sf.display] = FileFacts.from_raw(raw)
    project = Project.link(facts, settings, root=str(top))
    return Analysed(top, settings, files, project, warnings)
