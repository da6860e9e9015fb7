"""The on-disk cache: per-file results keyed by content, tool version and configuration.

Two files per (version, configuration): a small index (per-file findings and stat data, plus the
project-level findings) read on every run, and the facts the linker needs, read only when some
file changed. Each file is a header, a BLAKE2 digest of the payload and a `marshal` payload of
plain data; a file whose digest does not match is ignored, so truncation, garbage or a concurrent
writer can cost time but never change a result. Writes go to a temporary file that is renamed into
place. Any failure to read or write is at most a warning: one for reading and one for writing per
run, however many files are affected.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import tempfile
from pathlib import Path
from typing import Any

_MAGIC = b"STACKWISE-CACHE-1\n"
_DIGEST = 32


def content_digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class Cache:
    def __init__(self, folder: Path | None, key: str) -> None:
        self.folder = folder
        self.key = key
        self.warnings: list[str] = []
        self._warned: set[str] = set()

    def sibling(self, key: str) -> Cache:
        """The same folder under another key, sharing this one's warnings (one per kind and
        run, however many cache files are affected)."""
        other = Cache(self.folder, key)
        other.warnings = self.warnings
        other._warned = self._warned
        return other

    def _warn(self, kind: str, message: str) -> None:
        if kind not in self._warned:
            self._warned.add(kind)
            self.warnings.append(message)

    def _path(self, kind: str) -> Path | None:
        if self.folder is None:
            return None
        return self.folder / f"{kind}-{self.key}.bin"

    def read(self, kind: str) -> Any | None:
        path = self._path(kind)
        if path is None:
            return None
        try:
            blob = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            self._warn("read", f"cache not read ({path}): {exc.strerror or exc}")
            return None
        head = len(_MAGIC)
        if len(blob) < head + _DIGEST or not blob.startswith(_MAGIC):
            self._warn("read", f"cache ignored ({path.name}): not a stackwise cache file")
            return None
        digest, payload = blob[head : head + _DIGEST], blob[head + _DIGEST :]
        if hashlib.blake2b(payload, digest_size=_DIGEST).digest() != digest:
            self._warn("read", f"cache ignored ({path.name}): damaged")
            return None
        try:
            return marshal.loads(payload)
        except (ValueError, EOFError, TypeError):
            self._warn("read", f"cache ignored ({path.name}): unreadable")
            return None

    def write(self, kind: str, value: Any) -> None:
        path = self._path(kind)
        if path is None or self.folder is None or "write" in self._warned:
            return  # no cache, or writing already failed this run
        try:
            payload = marshal.dumps(value)
        except ValueError as exc:  # a rule stored something that is not plain data
            self._warn("write", f"cache not written: {exc}")
            return
        digest = hashlib.blake2b(payload, digest_size=_DIGEST).digest()
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            _mark_cache_dir(self.folder)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=f".{path.name}.", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(_MAGIC + digest + payload)
                os.replace(tmp, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError as exc:
            self._warn("write", f"cache not written ({self.folder}): {exc.strerror or exc}")


STALE_AFTER_S = 30 * 24 * 3600  # cache files of another key unused this long are removed
TMP_STALE_AFTER_S = 3600  # temporary files of a killed run


def prune(folder: Path | None, keep: set[str], now: float) -> int:
    """Remove what no run will read again: cache files of other keys (another stackwise build,
    Python, configuration or selection) not used for `STALE_AFTER_S`, and temporary files left
    by a killed run. Files of the keys in `keep` stay. Never raises; returns how many went."""
    if folder is None:
        return 0
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        name = entry.name
        if name.endswith(".tmp") and name.startswith("."):
            limit = TMP_STALE_AFTER_S
        elif name.endswith(".bin") and "-" in name:
            if name[:-4].rsplit("-", 1)[1] in keep:
                continue
            limit = STALE_AFTER_S
        else:
            continue  # .gitignore, CACHEDIR.TAG, anything we did not write
        try:
            st = entry.stat(follow_symlinks=False)
            if entry.is_file(follow_symlinks=False) and now - max(st.st_mtime, st.st_atime) > limit:
                os.unlink(entry.path)
                removed += 1
        except OSError:
            continue
    return removed


def _mark_cache_dir(folder: Path) -> None:
    gitignore = folder / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text("# created by stackwise\n*\n", encoding="utf-8")
    tag = folder / "CACHEDIR.TAG"
    if not tag.exists():
        tag.write_text(
            "Signature: 8a477f597d28d172789f06886806bc55\n# stackwise cache, safe to delete\n",
            encoding="utf-8",
        )
