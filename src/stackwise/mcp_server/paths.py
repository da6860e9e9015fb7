"""Root confinement for the MCP server: every path a client passes must resolve inside a root.

A path is resolved like the operating system would open it (`os.path.realpath`: symbolic links
followed, `..` applied to the real location), then refused unless the result is one of the roots
or lies below one. So `../x`, an absolute path elsewhere, and a link inside a root that points out
of it are all refused; a relative path is taken relative to the first root.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


class PathRefused(ValueError):
    """A path given to the server is not allowed, or is not there (the message says which)."""


def _normcase(path: str) -> str:
    return os.path.normcase(path)


def _within(path: str, root: str) -> bool:
    """Whether the real path `path` is `root` or below it (both already real and absolute)."""
    p, r = _normcase(path), _normcase(root)
    if p == r:
        return True
    prefix = r if r.endswith(os.sep) else r + os.sep
    return p.startswith(prefix)


@dataclass(frozen=True)
class Roots:
    """The folders the server may read and write in, as real absolute paths (first = default)."""

    paths: tuple[str, ...]

    @classmethod
    def from_paths(cls, paths: Iterable[str | os.PathLike[str]]) -> Roots:
        """The roots for `paths` (each must be an existing folder); raises `PathRefused`."""
        found: list[str] = []
        for raw in paths:
            text = os.fspath(raw)
            if not text or "\x00" in text:
                raise PathRefused(f"invalid root {text!r}")
            real = os.path.realpath(os.path.abspath(text))
            if not os.path.isdir(real):
                raise PathRefused(f"root {text!r} is not an existing folder")
            if real not in found:
                found.append(real)
        if not found:
            raise PathRefused("no root given")
        return cls(tuple(found))

    def _shown(self) -> str:
        return ", ".join(self.paths)

    def root_of(self, real: str | os.PathLike[str]) -> str | None:
        """The root that holds the real path `real` (the deepest one when roots nest)."""
        text = os.fspath(real)
        holders = [r for r in self.paths if _within(text, r)]
        return max(holders, key=len) if holders else None

    def resolve(self, path: str | os.PathLike[str], *, what: str = "path") -> Path:
        """The real path of an existing file or folder inside a root; raises `PathRefused`.

        `what` names the argument in the error message (e.g. "paths[1]")."""
        real = self._confined(path, what)
        if not os.path.exists(real):
            raise PathRefused(f"{what} {os.fspath(path)!r} does not exist")
        return Path(real)

    def resolve_dir(self, path: str | os.PathLike[str], *, what: str = "path") -> Path:
        """Like `resolve`, for a path that must be a folder."""
        found = self.resolve(path, what=what)
        if not found.is_dir():
            raise PathRefused(f"{what} {os.fspath(path)!r} is not a folder")
        return found

    def resolve_new(self, path: str | os.PathLike[str], *, what: str = "directory") -> Path:
        """The real path for a folder to create: inside a root, not there yet (not even as a
        dangling link), in an existing parent folder. Raises `PathRefused`."""
        text = self._text(path, what)
        joined = os.path.join(self.paths[0], text)  # an absolute `text` replaces the root
        if os.path.lexists(joined):
            raise PathRefused(f"{what} {text!r} already exists; pick a folder that does not")
        real = self._confined(path, what)
        if os.path.lexists(real):
            raise PathRefused(f"{what} {text!r} already exists; pick a folder that does not")
        parent = os.path.dirname(real)
        if not os.path.isdir(parent):
            raise PathRefused(f"the folder that would hold {what} {text!r} does not exist; "
                              "create it first or pick another place")
        return Path(real)

    @staticmethod
    def _text(path: str | os.PathLike[str], what: str) -> str:
        try:
            text = os.fspath(path)
        except TypeError:
            raise PathRefused(f"{what} must be a path string") from None
        if not isinstance(text, str):
            raise PathRefused(f"{what} must be a path string")
        if not text:
            raise PathRefused(f"{what} is empty; use '.' for the root")
        if "\x00" in text:
            raise PathRefused(f"{what} contains a NUL character")
        return text

    def _confined(self, path: str | os.PathLike[str], what: str) -> str:
        text = self._text(path, what)
        joined = os.path.join(self.paths[0], text)
        real = os.path.realpath(joined)
        if self.root_of(real) is not None:
            return real
        lexical = os.path.normpath(joined)
        if os.path.isabs(text) and self.root_of(lexical) is None:
            reason = "is an absolute path outside the server's roots"
        elif self.root_of(lexical) is None:
            reason = "goes up (`..`) out of the server's roots"
        else:
            reason = "leads out of the server's roots through a symbolic link"
        raise PathRefused(
            f"{what} {text!r} refused: it {reason} ({self._shown()}); the server only reads and "
            "writes inside the folders it was started with (`stackwise mcp --root DIR`)"
        )
