"""Finding the files to check, and naming the module each one is.

Directories are walked without recursion. Excluded names (defaults plus `exclude`) are skipped.
Symbolic links are not followed unless `follow-symlinks = true`, and never out of the project
root; loops are cut by remembering real paths. `.pyi` stubs are skipped in directories (they hold
no behaviour to check) but read when named explicitly.

Test hook: when the environment variable `STACKWISE_SHUFFLE_SEED` is set to an integer, folder
entries are visited and files returned in an order shuffled with that seed instead of sorted
order. The output must not change; tests/reliability/test_determinism.py uses it to prove that.
"""

from __future__ import annotations

import fnmatch
import operator
import os
import random
import re
from dataclasses import dataclass
from pathlib import Path

from stackwise.config import DEFAULT_EXCLUDE, Settings


@dataclass(frozen=True, slots=True)
class SourceFile:
    fs_path: str  # what the OS opens
    display: str  # POSIX path relative to the project root (os.fsdecode form: a name that is
    # not valid UTF-8 keeps its bytes as lone surrogates, so two such names never collide; the
    # reports escape them, and SARIF turns them back into the original bytes)
    module: str
    is_package: bool


def printable(path: str) -> str:
    """A path safe to print and to put in JSON (undecodable bytes become U+FFFD)."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


_NAME = operator.attrgetter("name")  # a walk in name order: the same links win on every run


class Discovery:
    def __init__(self, root: Path, settings: Settings) -> None:
        self.root = root.resolve()
        self.root_str = str(self.root)
        self.patterns = tuple(DEFAULT_EXCLUDE) + tuple(settings.exclude)
        # every pattern in one regex each for the name and the relative path (a tree of 10,000
        # files would otherwise cost ~40 fnmatch calls per entry)
        globs = [p.rstrip("/") for p in self.patterns]
        self._name_re = re.compile("|".join(fnmatch.translate(g) for g in globs) or "(?!)")
        self._rel_re = re.compile("|".join(
            [fnmatch.translate(g) for g in globs] + [re.escape(g) + "/" for g in globs]) or "(?!)")
        self.follow = settings.follow_symlinks
        self.warnings: list[str] = []
        self._init_cache: dict[str, bool] = {}
        self._package_cache: dict[str, str] = {}
        seed = os.environ.get("STACKWISE_SHUFFLE_SEED", "").strip()
        self._shuffle = random.Random(int(seed)) if seed.lstrip("-").isdigit() else None

    def excluded(self, name: str, rel: str) -> bool:
        """A pattern matches the entry's name, or its path relative to the root, or a folder
        above it (`build/` excludes `build/x/y.py`)."""
        return self._name_re.match(name) is not None or self._rel_re.match(rel) is not None

    def _rel(self, path: str) -> str:
        try:
            rel = os.path.relpath(path, self.root_str)
        except ValueError:
            return path
        return rel.replace(os.sep, "/")

    def _inside_root(self, real: str) -> bool:
        return real == self.root_str or real.startswith(self.root_str + os.sep)

    def files(self, paths: list[Path]) -> list[SourceFile]:
        found: dict[str, SourceFile] = {}
        for given in paths:
            abspath = os.path.abspath(given)
            if not os.path.lexists(abspath):
                self.warnings.append(f"{printable(str(given))}: no such file or directory")
                continue
            if os.path.isdir(abspath):
                self._walk(abspath, found)
            else:
                rel = self._rel(abspath)
                if not self.excluded(os.path.basename(abspath), rel):
                    self._add(abspath, found)
        keys = sorted(found)
        if self._shuffle is not None:
            self._shuffle.shuffle(keys)
        return [found[k] for k in keys]

    def _walk(self, top: str, found: dict[str, SourceFile]) -> None:
        seen_real: set[str] = {os.path.realpath(top)}
        top_rel = self._rel(top)
        stack = [(top, "" if top_rel == "." else top_rel + "/")]
        while stack:
            folder, prefix = stack.pop()
            try:
                entries = sorted(os.scandir(folder), key=_NAME)
            except OSError as exc:
                self.warnings.append(f"{printable(folder)}: cannot list: {exc.strerror}")
                continue
            if self._shuffle is not None:
                self._shuffle.shuffle(entries)
            for entry in entries:
                try:
                    is_dir = entry.is_dir(follow_symlinks=True)  # no stat for most entries
                    if not is_dir and not entry.name.endswith(".py"):
                        continue  # data files (translations, JSON...): most of some trees
                    is_link = entry.is_symlink()
                except OSError:
                    continue
                rel = prefix + entry.name  # what `_rel(entry.path)` gives, without its cost
                if self.excluded(entry.name, rel):
                    continue
                if is_link:
                    real = os.path.realpath(entry.path)
                    if not self._inside_root(real):
                        continue  # never leave the project through a link
                    if is_dir and (not self.follow or real in seen_real):
                        continue
                if is_dir:
                    real_dir = (os.path.realpath(entry.path) if is_link or self.follow
                                else entry.path)
                    seen_real.add(real_dir)
                    stack.append((entry.path, rel + "/"))
                elif entry.name.endswith(".py"):
                    self._add(entry.path, found, rel)

    def _has_init(self, folder: str) -> bool:
        cached = self._init_cache.get(folder)
        if cached is None:
            cached = os.path.isfile(os.path.join(folder, "__init__.py"))
            self._init_cache[folder] = cached
        return cached

    def _add(self, path: str, found: dict[str, SourceFile], display: str | None = None) -> None:
        if display is None:
            display = self._rel(path)
        if display in found:
            return
        folder, name = os.path.split(path)
        stem = name.rsplit(".", 1)[0]
        is_package = stem == "__init__"
        package = self._package(folder)
        parts = [p for p in (package, "" if is_package else stem) if p]
        found[display] = SourceFile(path, display, printable(".".join(parts)), is_package)

    def _package(self, folder: str) -> str:
        """The dotted package a folder is ('' when it has no `__init__.py`), memoised per
        folder: the folders up to the first one without `__init__.py` name it."""
        cached = self._package_cache.get(folder)
        if cached is not None:
            return cached
        chain: list[tuple[str, str]] = []  # (folder, its own name), innermost first
        current = folder
        outer = ""
        while True:
            known = self._package_cache.get(current)
            if known is not None:
                outer = known
                break
            if not self._has_init(current):
                self._package_cache[current] = ""
                break
            parent, own = os.path.split(current)
            chain.append((current, own))
            if not own or parent == current:
                break
            current = parent
        for current, own in reversed(chain):
            outer = f"{outer}.{own}" if outer else own
            self._package_cache[current] = outer
        return self._package_cache[folder]
